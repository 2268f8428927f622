/**
 * Stan's ODE solvers in the Stan back end (src/stan/ode.ts: adaptive Dormand–Prince 5(4) lowered to IR), in the
 * float64 interpreter: solutions against closed forms (exponential decay, a harmonic oscillator) and their
 * gradients against the exact sensitivities; Lotka–Volterra against an independent fixed-step RK4 reference
 * written here and its gradient against central finite differences; the posteriordb models that call the solvers;
 * the step limit's rejection and the variadic interface's type errors.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { StanData } from '../../src/models/data';
import { compileStan, type CompiledStan } from '../../src/stan/compile';
import { evaluate } from '../../src/stan/interpret';
import { ODE_F32_MAX_STEPS, ODE_F32_MIN_RTOL } from '../../src/stan/ode';
import { finiteDifferenceGradient } from '../reference/models';

function compileOrThrow(source: string, name = 'ode'): CompiledStan {
  const r = compileStan(source, { name });
  if ('diagnostics' in r) throw new Error(r.diagnostics.map((d) => `${d.line}: ${d.message}`).join('\n'));
  return r;
}

/** The reported values by Stan name (`y[2,1]`). */
function reportedByName(m: CompiledStan, data: StanData, z: Float64Array): Map<string, number> {
  const names = m.model.prepare(data).paramNames;
  const values = m.reported(m.host(data), z);
  return new Map(names.map((n, i) => [n, values[i] as number]));
}

const TS = [0.3, 1, 1.7, 2.5, 4, 6.5];
const W = [0.5, -1, 2, 1.5, -0.7, 3];

describe('closed-form solutions', () => {
  // y' = -k y through the old interface; the right-hand side a single `return`.
  const decay = compileOrThrow(`
functions {
  array[] real decay(real t, array[] real y, array[] real theta, array[] real x_r, array[] int x_i) {
    return { -theta[1] * y[1] };
  }
}
data { int T; array[T] real ts; vector[T] w; }
transformed data { array[0] real x_r; array[0] int x_i; }
parameters { real k; real y0; }
transformed parameters {
  array[T, 1] real y = integrate_ode_rk45(decay, {y0}, 0.0, ts, {k}, x_r, x_i, 1e-9, 1e-12, 100000);
}
model { for (t in 1:T) target += w[t] * y[t, 1]; }
`);
  const data: StanData = { T: TS.length, ts: TS, w: W };

  it('y = y0 exp(-k t): values and the gradient in k and y0', () => {
    for (const [k, y0] of [
      [0.7, 1.3],
      [2.1, -0.4],
      [0.05, 3],
    ] as const) {
      const z = Float64Array.from([k, y0]);
      const y = reportedByName(decay, data, z);
      TS.forEach((t, i) => {
        const exact = y0 * Math.exp(-k * t);
        expect(Math.abs((y.get(`y[${i + 1},1]`) as number) - exact)).toBeLessThan(1e-8 * (1 + Math.abs(y0)));
      });
      const r = decay.logDensity(decay.host(data), z);
      let dk = 0;
      let dy0 = 0;
      let lp = 0;
      TS.forEach((t, i) => {
        const e = Math.exp(-k * t);
        lp += (W[i] as number) * y0 * e;
        dk += (W[i] as number) * -t * y0 * e;
        dy0 += (W[i] as number) * e;
      });
      expect(r.lp).toBeCloseTo(lp, 7);
      expect(Math.abs((r.grad[0] as number) - dk)).toBeLessThan(1e-7 * (1 + Math.abs(dk)));
      expect(Math.abs((r.grad[1] as number) - dy0)).toBeLessThan(1e-7 * (1 + Math.abs(dy0)));
    }
  });

  // y1' = y2, y2' = -omega^2 y1 through the variadic interface (vectors, an extra argument, a body with
  // statements): y1 = a cos(omega t) + b / omega sin(omega t), y2 = -a omega sin(omega t) + b cos(omega t).
  const oscillator = compileOrThrow(`
functions {
  vector sho(real t, vector y, real omega) {
    vector[2] dydt;
    dydt[1] = y[2];
    dydt[2] = -square(omega) * y[1];
    return dydt;
  }
}
data { int T; array[T] real ts; vector[T] w; }
parameters { real omega; real a; real b; }
transformed parameters {
  array[T] vector[2] y = ode_rk45_tol(sho, [a, b]', 0, ts, 1e-9, 1e-12, 100000, omega);
}
model { for (t in 1:T) target += w[t] * y[t, 1] + (1 - w[t]) * y[t][2]; }
`);

  it('the harmonic oscillator: values and the gradient in omega, a and b', () => {
    for (const [om, a, b] of [
      [1.3, 0.8, -0.5],
      [0.6, -1.2, 2],
    ] as const) {
      const z = Float64Array.from([om, a, b]);
      const y = reportedByName(oscillator, data, z);
      const grad = [0, 0, 0];
      let lp = 0;
      TS.forEach((t, i) => {
        const [s, c] = [Math.sin(om * t), Math.cos(om * t)];
        const y1 = a * c + (b / om) * s;
        const y2 = -a * om * s + b * c;
        expect(Math.abs((y.get(`y[${i + 1},1]`) as number) - y1)).toBeLessThan(1e-7);
        expect(Math.abs((y.get(`y[${i + 1},2]`) as number) - y2)).toBeLessThan(1e-7);
        const dy1 = [-a * t * s + b * (-s / (om * om) + (t * c) / om), c, s / om];
        const dy2 = [-a * s - a * om * t * c - b * t * s, -om * s, c];
        const [w1, w2] = [W[i] as number, 1 - (W[i] as number)];
        lp += w1 * y1 + w2 * y2;
        for (let k = 0; k < 3; k++)
          grad[k] = (grad[k] as number) + w1 * (dy1[k] as number) + w2 * (dy2[k] as number);
      });
      const r = oscillator.logDensity(oscillator.host(data), z);
      expect(r.lp).toBeCloseTo(lp, 6);
      grad.forEach((g, k) =>
        expect(Math.abs((r.grad[k] as number) - g)).toBeLessThan(1e-6 * (1 + Math.abs(g))),
      );
    }
  });
});

/** Lotka–Volterra by classic RK4 with a fixed step (an independent float64 reference). */
function lotkaVolterraRk4(
  theta: readonly number[],
  z0: readonly number[],
  ts: readonly number[],
  h = 1e-3,
): number[][] {
  const [al, be, ga, de] = theta as [number, number, number, number];
  const f = (u: number, v: number): [number, number] => [(al - be * v) * u, (-ga + de * u) * v];
  let [u, v] = z0 as [number, number];
  let t = 0;
  const out: number[][] = [];
  for (const target of ts) {
    while (t < target - 1e-12) {
      const dt = Math.min(h, target - t);
      const k1 = f(u, v);
      const k2 = f(u + (dt / 2) * k1[0], v + (dt / 2) * k1[1]);
      const k3 = f(u + (dt / 2) * k2[0], v + (dt / 2) * k2[1]);
      const k4 = f(u + dt * k3[0], v + dt * k3[1]);
      u += (dt / 6) * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0]);
      v += (dt / 6) * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1]);
      t += dt;
    }
    out.push([u, v]);
  }
  return out;
}

const LV_DIR = 'test/stan/posteriordb-models/hudson_lynx_hare-lotka_volterra';
const lvData = JSON.parse(readFileSync(`${LV_DIR}/data.json`, 'utf8')) as StanData;
const lvSource = readFileSync(`${LV_DIR}/model.stan`, 'utf8');
const LV_THETA = [0.55, 0.028, 0.8, 0.024];
const LV_Z0 = [33, 6];
const LV_SIGMA = [0.25, 0.25];
/** The unconstrained point of the posteriordb model (all its parameters have lower = 0). */
const lvPoint = Float64Array.from([...LV_THETA, ...LV_Z0, ...LV_SIGMA].map(Math.log));

describe('Lotka–Volterra', () => {
  const ts = lvData.ts as number[];
  const reference = lotkaVolterraRk4(LV_THETA, LV_Z0, ts);

  it('with tight tolerances equals the RK4 reference; its gradient equals finite differences', () => {
    const tight = compileOrThrow(lvSource.replace('1e-5, 1e-3, 5e2', '1e-10, 1e-10, 1e5'));
    const z = reportedByName(tight, lvData, lvPoint);
    reference.forEach((row, n) =>
      row.forEach((want, k) => {
        const got = z.get(`z[${n + 1},${k + 1}]`) as number;
        expect(Math.abs(got - want)).toBeLessThan(1e-7 * want);
      }),
    );
    const host = tight.host(lvData);
    const r = tight.logDensity(host, lvPoint);
    const fd = finiteDifferenceGradient((p) => tight.logDensity(host, p).lp, lvPoint, 1e-5);
    const scale = 1 + Math.max(...Array.from(r.grad, Math.abs));
    r.grad.forEach((g, i) => expect(Math.abs(g - (fd[i] as number))).toBeLessThan(1e-6 * scale));
  });

  it('the posteriordb model (rtol 1e-5, atol 1e-3) is within its tolerance of the reference', () => {
    const m = compileOrThrow(lvSource);
    const z = reportedByName(m, lvData, lvPoint);
    let worst = 0;
    reference.forEach((row, n) =>
      row.forEach((want, k) => {
        worst = Math.max(worst, Math.abs((z.get(`z[${n + 1},${k + 1}]`) as number) - want) / want);
      }),
    );
    expect(worst).toBeLessThan(1e-3);
    expect(worst).toBeGreaterThan(0);
    expect(Number.isFinite(m.logDensity(m.host(lvData), lvPoint).lp)).toBe(true);
  });

  it('rejects the point with a message past max_num_steps', () => {
    const few = compileOrThrow(lvSource.replace('1e-5, 1e-3, 5e2', '1e-5, 1e-3, 3'));
    const r = evaluate(few.program, few.host(lvData), lvPoint);
    expect(r.lp).toBe(-Infinity);
    expect(r.rejected).toMatch(/integrate_ode_rk45: max_num_steps exceeded/);
    // With enough steps the same point has a density.
    const enough = compileOrThrow(lvSource.replace('1e-5, 1e-3, 5e2', '1e-5, 1e-3, 60'));
    expect(Number.isFinite(evaluate(enough.program, enough.host(lvData), lvPoint).lp)).toBe(true);
  });
});

describe('other blocks and solvers', () => {
  it('an ODE in transformed data (on the host) and in generated quantities (no derivatives)', () => {
    const m = compileOrThrow(`
functions { vector decay(real t, vector y, real k) { return -k * y; } }
data { int T; array[T] real ts; }
transformed data { array[T] vector[1] d = ode_rk45_tol(decay, [2.0]', 0, ts, 1e-9, 1e-12, 10000, 0.5); }
parameters { real mu; }
model { target += -square(mu - d[T][1]); }
generated quantities { array[T] vector[1] g = ode_rk45_tol(decay, [1.0]', 0, ts, 1e-9, 1e-12, 10000, mu); }
`);
    const data: StanData = { T: TS.length, ts: TS };
    const last = TS[TS.length - 1] as number;
    const mu = 0.3;
    const r = m.logDensity(m.host(data), Float64Array.from([mu]));
    const d = 2 * Math.exp(-0.5 * last);
    expect(r.lp).toBeCloseTo(-((mu - d) ** 2), 9);
    expect(r.grad[0]).toBeCloseTo(-2 * (mu - d), 9);
    const g = reportedByName(m, data, Float64Array.from([mu]));
    TS.forEach((t, i) => expect(g.get(`g[${i + 1},1]`)).toBeCloseTo(Math.exp(-mu * t), 8));
  });

  it('one_comp_mm_elim_abs (integrate_ode_bdf, solved explicitly) equals an RK4 reference', () => {
    const dir = 'test/stan/posteriordb-models/one_comp_mm_elim_abs-one_comp_mm_elim_abs';
    const data = JSON.parse(readFileSync(`${dir}/data.json`, 'utf8')) as StanData;
    const m = compileOrThrow(readFileSync(`${dir}/model.stan`, 'utf8'));
    const [ka, Km, Vm] = [1.2, 0.9, 2.5];
    const { D, V } = data as { D: number; V: number };
    const times = data.times as number[];
    // The dose term is exp(-ka t) D ka / V for t > 0 (the model's t = 0 value is a single point).
    const f = (t: number, y: number) => Math.exp(-ka * t) * ((D * ka) / V) - ((Vm / V) * y) / (Km + y);
    let [t, y] = [0, 0];
    const want: number[] = [];
    const h = 1e-4;
    for (const target of times) {
      while (t < target - 1e-12) {
        const dt = Math.min(h, target - t);
        const k1 = f(t, y);
        const k2 = f(t + dt / 2, y + (dt / 2) * k1);
        const k3 = f(t + dt / 2, y + (dt / 2) * k2);
        const k4 = f(t + dt, y + dt * k3);
        y += (dt / 6) * (k1 + 2 * k2 + 2 * k3 + k4);
        t += dt;
      }
      want.push(y);
    }
    const z = Float64Array.from([ka, Km, Vm, 0.5].map(Math.log));
    const got = reportedByName(m, data, z);
    want.forEach((w, n) => expect(Math.abs((got.get(`C[${n + 1},1]`) as number) - w)).toBeLessThan(1e-7 * w));
    expect(Number.isFinite(m.logDensity(m.host(data), z).lp)).toBe(true);
  });

  it('the variadic interface checks the function against the arguments', () => {
    const source = (ret: string, extra: string) => `
functions { ${ret} f(real t, vector y, real k) { return -k * y; } }
data { int T; array[T] real ts; }
parameters { real k; }
transformed parameters { array[T] vector[1] y = ode_rk45(f, [1.0]', 0, ts${extra}); }
model { }
`;
    const messages = (src: string) => {
      const r = compileStan(src, { name: 'bad' });
      return 'diagnostics' in r ? r.diagnostics.map((d) => d.message).join('\n') : '';
    };
    expect(messages(source('vector', ', k'))).toBe('');
    expect(messages(source('vector', ', k, k'))).toMatch(
      /'f' must be 'vector f\(real t, vector y, real, real\)'/,
    );
    expect(messages(source('vector', ''))).toMatch(/'f' must be/);
    expect(messages(source('array[] real', ', k'))).toMatch(/'f' must be/);
  });
});

it("the f32 runtime's tolerance floor and step cap are ode.ts's", () => {
  const runtime = readFileSync('shaders/stan/runtime.wgsl', 'utf8');
  const floor = /fn stan_ode_rtol\(x: f32\) -> StanP \{ return stan_p\(max\(x, ([0-9.e-]+)\)/.exec(runtime);
  const cap = /fn stan_ode_max_steps\(x: f32\) -> StanP \{ return stan_p\(min\(x, ([0-9.e-]+)\)/.exec(
    runtime,
  );
  expect(Number(floor?.[1])).toBe(ODE_F32_MIN_RTOL);
  expect(Number(cap?.[1])).toBe(ODE_F32_MAX_STEPS);
});
