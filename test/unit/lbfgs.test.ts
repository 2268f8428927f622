/** The host L-BFGS (no GPU): convergence on quadratics and Rosenbrock, non-finite trial points, determinism. */
import { describe, expect, it } from 'vitest';
import { minimize, twoLoop, type Evaluation } from '../../src/vi/optimizers/lbfgs-core';

/** f(x) = 1/2 (x - m)' A (x - m) for a symmetric positive-definite A (row-major). */
function quadratic(a: number[][], m: number[]) {
  return async (x: Float64Array): Promise<Evaluation> => {
    const d = Array.from(x, (v, i) => v - (m[i] as number));
    const ad = a.map((row) => row.reduce((s, v, j) => s + v * (d[j] as number), 0));
    return { f: 0.5 * d.reduce((s, v, i) => s + v * (ad[i] as number), 0), g: Float64Array.from(ad) };
  };
}

/** A random SPD matrix with eigenvalues spread over `condition` (deterministic). */
function spd(n: number, condition: number, seed: number): number[][] {
  let state = seed;
  const u = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
  // Q from Gram-Schmidt on random columns; A = Q diag(lambda) Q'.
  const q: number[][] = [];
  for (let k = 0; k < n; k++) {
    let v = Array.from({ length: n }, u);
    for (const w of q) {
      const p = v.reduce((s, x, i) => s + x * (w[i] as number), 0);
      v = v.map((x, i) => x - p * (w[i] as number));
    }
    const norm = Math.hypot(...v);
    q.push(v.map((x) => x / norm));
  }
  const lambda = Array.from({ length: n }, (_, k) => condition ** (k / Math.max(1, n - 1)));
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) =>
      q.reduce((s, w, k) => s + (w[i] as number) * (lambda[k] as number) * (w[j] as number), 0),
    ),
  );
}

describe('minimize', () => {
  it.each([2, 5, 10])(
    'a %i-dimensional quadratic (condition 1e3) takes at most D + 3 iterations',
    async (n) => {
      const m = Array.from({ length: n }, (_, i) => i - 2);
      const evaluate = quadratic(spd(n, 1e3, 7 * n), m);
      const result = await minimize(evaluate, new Float64Array(n), {
        converged: (_x, step) => Math.max(...step.map(Math.abs)) < 1e-8,
      });
      expect(result.stop).toBe('converged');
      expect(result.iterations).toBeLessThanOrEqual(n + 3);
      result.x.forEach((v, i) => expect(v).toBeCloseTo(m[i] as number, 6));
    },
  );

  it('finds the minimum of the Rosenbrock function', async () => {
    const rosenbrock = async (x: Float64Array): Promise<Evaluation> => {
      const [a, b] = [x[0] as number, x[1] as number];
      return {
        f: (1 - a) ** 2 + 100 * (b - a * a) ** 2,
        g: Float64Array.of(-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)),
      };
    };
    const result = await minimize(rosenbrock, Float64Array.of(-1.2, 1), {
      converged: (_x, step) => Math.hypot(...step) < 1e-10,
    });
    expect(result.stop).toBe('converged');
    expect(result.x[0]).toBeCloseTo(1, 6);
    expect(result.x[1]).toBeCloseTo(1, 6);
    expect(result.iterations).toBeLessThan(60);
  });

  it('ends a line search whose bracket is negligible instead of zooming into the rounding noise', async () => {
    // A quadratic whose values are rounded to 1e-6 and whose gradient carries 1e-3 of noise: near the minimum
    // every trial value is noise, and the zoom halves its bracket until its budget is spent.
    const noisy = async (x: Float64Array): Promise<Evaluation> => {
      const [a, b] = [x[0] as number, x[1] as number];
      return {
        f: Math.round((0.5 * (a * a + 10 * b * b)) / 1e-6) * 1e-6,
        g: Float64Array.of(a + 1e-3 * Math.sin(1e4 * b), 10 * b + 1e-3 * Math.cos(1e4 * a)),
      };
    };
    const run = (negligible?: (x: Float64Array, step: Float64Array) => boolean) =>
      minimize(noisy, Float64Array.of(3, 1), {
        maxEvaluations: 300,
        converged: () => false,
        ...(negligible ? { negligible } : {}),
      });
    const zooming = await run();
    const cut = await run((_x, step) => Math.hypot(...step) < 1e-3);
    for (const r of [zooming, cut]) expect(Math.hypot(...r.x)).toBeLessThan(1e-2);
    expect(cut.evaluations).toBeLessThanOrEqual(zooming.evaluations / 2);
  });

  it('never accepts a non-finite trial point: it backs off into the finite region', async () => {
    // A quadratic with its minimum at 3 that is undefined (NaN) beyond x = 1.5: the first full steps land there.
    const seen: number[] = [];
    const evaluate = async (x: Float64Array): Promise<Evaluation> => {
      const v = x[0] as number;
      seen.push(v);
      if (v > 1.5) return { f: Number.NaN, g: Float64Array.of(Number.NaN) };
      return { f: 0.5 * (v - 3) ** 2, g: Float64Array.of(v - 3) };
    };
    const result = await minimize(evaluate, Float64Array.of(0), { maxEvaluations: 200 });
    expect(seen.some((v) => v > 1.5)).toBe(true);
    expect(result.x[0]).toBeLessThanOrEqual(1.5);
    expect(Number.isFinite(result.f)).toBe(true);
    expect(result.x[0]).toBeGreaterThan(1.4);
  });

  it('gives the same iterates, bit for bit, on the same objective', async () => {
    const evaluate = quadratic(spd(6, 1e4, 3), [1, 2, 3, 4, 5, 6]);
    const trace = async () => {
      const xs: number[] = [];
      await minimize(evaluate, new Float64Array(6), {
        converged: (x, step, i) => (xs.push(...x), i >= 6 || Math.max(...step.map(Math.abs)) < 1e-12),
      });
      return xs;
    };
    expect(await trace()).toEqual(await trace());
  });

  it('stops when asked and reports a non-finite start', async () => {
    const evaluate = quadratic([[1]], [5]);
    const stopped = await minimize(evaluate, Float64Array.of(0), { onEvaluation: () => true });
    expect(stopped.stop).toBe('stopped');
    const bad = await minimize(async () => ({ f: Number.NaN, g: Float64Array.of(0) }), Float64Array.of(0));
    expect(bad.stop).toBe('not-finite');
  });

  it("takes the caller's evaluation of the start instead of evaluating it again", async () => {
    const evaluate = quadratic(spd(4, 1e2, 5), [1, -2, 3, -4]);
    const calls: number[][] = [];
    const counted = async (x: Float64Array) => (calls.push(Array.from(x)), evaluate(x));
    const x0 = new Float64Array(4);
    const plain = await minimize(counted, x0);
    const plainCalls = calls.splice(0);
    const given = await minimize(counted, x0, { start: await evaluate(x0) });
    // The same iterates, one evaluation fewer, and x0 never asked for.
    expect(Array.from(given.x)).toEqual(Array.from(plain.x));
    expect(calls).toEqual(plainCalls.slice(1));
    expect(calls.some((x) => x.every((v) => v === 0))).toBe(false);
  });
});

describe('minimize from a badly scaled start (a model far from its data scale, as kidiq at z = 0)', () => {
  // f = 1e7 (x - 30)^2 / 2, finite only on |x| <= 100: the gradient at 0 is 3e8, so the full
  // preconditioned step lands at 3e8, and halving it within the line search's trials never comes back.
  const scaled = async (x: Float64Array): Promise<Evaluation> => {
    const v = x[0] as number;
    if (Math.abs(v) > 100) return { f: Number.POSITIVE_INFINITY, g: Float64Array.of(Number.NaN) };
    return { f: 0.5e7 * (v - 30) ** 2, g: Float64Array.of(1e7 * (v - 30)) };
  };
  const identity = () => (v: Float64Array) => v;
  const unit = (length: number) => ({
    scale: (_x: Float64Array, d: Float64Array) =>
      Float64Array.from(d, (v) => (v * length) / Math.hypot(...d)),
    settled: (_x: Float64Array, predicted: Float64Array) => Math.hypot(...predicted) < 1e-6,
  });

  it('reaches the minimum (the first preconditioned step is capped) and says converged there', async () => {
    const result = await minimize(scaled, Float64Array.of(0), {
      precondition: identity,
      probe: unit(1),
      maxEvaluations: 200,
      converged: (_x, step) => Math.abs(step[0] as number) < 1e-8,
    });
    expect(result.stop).toBe('converged');
    expect(result.x[0]).toBeCloseTo(30, 6);
  });

  it('calls no point but the minimum converged, even when every probe lands on a non-finite value', async () => {
    const result = await minimize(scaled, Float64Array.of(0), {
      precondition: identity,
      // Every probe steps 1000 along the gradient, out of the finite region.
      probe: unit(1000),
      maxEvaluations: 40,
      // A claim at every iteration: only the probe stands between it and "converged".
      converged: () => true,
    });
    const error = Math.abs((result.x[0] as number) - 30);
    expect({ stop: result.stop, atMinimum: error < 1e-6 }).not.toEqual({
      stop: 'converged',
      atMinimum: false,
    });
  });
});

describe('twoLoop', () => {
  it('is -g with no history and the exact Newton step on a quadratic once the history spans it', () => {
    expect(Array.from(twoLoop(Float64Array.of(1, -2), [], []))).toEqual([-1, 2]);
    // A = diag(2, 8): pairs along the axes give H = A^-1 exactly.
    const s = [Float64Array.of(1, 0), Float64Array.of(0, 1)];
    const y = [Float64Array.of(2, 0), Float64Array.of(0, 8)];
    const step = twoLoop(Float64Array.of(4, 4), s, y);
    expect(step[0]).toBeCloseTo(-2, 12);
    expect(step[1]).toBeCloseTo(-0.5, 12);
  });
});
