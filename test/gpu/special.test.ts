import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuffer, readBuffer, STORAGE } from '../../src/gpu/buffers';
import type { GpuContext } from '../../src/gpu/device';
import { bindBuffers, computePipeline } from '../../src/gpu/pipelines';
import { composeProgram } from '../../src/gpu/shader-library';
import specialSource from '../../shaders/math/special.wgsl?raw';
import {
  loadSpecialFixtures,
  specialEdgeGroups,
  specialError,
  type SpecialGroup,
} from '../reference/special-fixtures';
import { testDevice } from './gpu-context';

/** How the kernel calls each function from a case's (a, b); lmgamma's k travels as a float. */
const CALLS: Record<string, string> = {
  exp: 'math_exp(a)',
  log1p: 'math_log1p(a)',
  expm1: 'math_expm1(a)',
  log1p_exp: 'math_log1p_exp(a)',
  log1m_exp: 'math_log1m_exp(a)',
  log_diff_exp: 'math_log_diff_exp(a, b)',
  log_sum_exp2: 'math_log_sum_exp2(a, b)',
  inv_logit: 'math_inv_logit(a)',
  logit: 'math_logit(a)',
  log_inv_logit: 'math_log_inv_logit(a)',
  log1m_inv_logit: 'math_log1m_inv_logit(a)',
  lgamma: 'math_lgamma(a)',
  digamma: 'math_digamma(a)',
  trigamma: 'math_trigamma(a)',
  lbeta: 'math_lbeta(a, b)',
  lchoose: 'math_lchoose(a, b)',
  erf: 'math_erf(a)',
  erfc: 'math_erfc(a)',
  erfcx: 'math_erfcx(a)',
  Phi: 'math_Phi(a)',
  log_Phi: 'math_log_Phi(a)',
  inv_mills: 'math_inv_mills(a)',
  inv_Phi: 'math_inv_Phi(a)',
  lmgamma: 'math_lmgamma(i32(a), b)',
  log_falling_factorial: 'math_log_falling_factorial(a, b)',
  log_rising_factorial: 'math_log_rising_factorial(a, b)',
};
const FUNCTION_IDS = Object.keys(CALLS);
/** Fixture groups of functions that only the float64 library has. */
const FLOAT64_ONLY = new Set(['lgamma_stirling_diff']);

/**
 * Max error per fixture group for the f32 functions (the same numbers as the header of shaders/math/special.wgsl),
 * and the floor of the error measure: 0 = relative (down to the smallest normal f32), 1 = |error| / max(1, |value|).
 */
const BOUNDS: Record<string, { bound: number; floor: number }> = {
  exp: { bound: 2e-7, floor: 0 },
  log1p: { bound: 4e-7, floor: 0 },
  expm1: { bound: 3e-7, floor: 0 },
  log1p_exp: { bound: 3e-7, floor: 0 },
  log1m_exp: { bound: 5e-7, floor: 0 },
  log_diff_exp: { bound: 3e-7, floor: 1 },
  log_sum_exp2: { bound: 3e-7, floor: 1 },
  inv_logit: { bound: 2e-7, floor: 0 },
  logit: { bound: 3e-7, floor: 0 },
  log_inv_logit: { bound: 3e-7, floor: 0 },
  log1m_inv_logit: { bound: 3e-7, floor: 0 },
  lgamma: { bound: 5e-7, floor: 0 },
  lgamma_negative: { bound: 6e-6, floor: 1 },
  digamma: { bound: 1.5e-6, floor: 0 },
  digamma_negative: { bound: 5e-7, floor: 1 },
  trigamma: { bound: 4e-7, floor: 0 },
  trigamma_negative: { bound: 4e-7, floor: 0 },
  lbeta: { bound: 8e-7, floor: 1 },
  lchoose: { bound: 1.5e-6, floor: 1 },
  erf: { bound: 4e-7, floor: 0 },
  erfc: { bound: 4e-7, floor: 0 },
  erfcx: { bound: 4e-7, floor: 0 },
  Phi: { bound: 4e-7, floor: 0 },
  log_Phi: { bound: 4e-7, floor: 0 },
  inv_mills: { bound: 4e-7, floor: 0 },
  inv_Phi: { bound: 5e-7, floor: 0 },
  lmgamma: { bound: 4e-7, floor: 1 },
  log_falling_factorial: { bound: 1e-6, floor: 1 },
  log_rising_factorial: { bound: 6e-7, floor: 1 },
};

const F32_MAX = 3.4028234663852886e38;
const F32_MIN_NORMAL = 1.1754943508222875e-38;

/** A float32 number that no GPU flushes to zero: non-finite, zero, or a normal float32. */
function isF32(x: number): boolean {
  return !Number.isFinite(x) || x === 0 || (Math.fround(x) === x && Math.abs(x) >= F32_MIN_NORMAL);
}

/**
 * The cases the f32 functions can be held to: every argument a normal float32 (or 0, or non-finite), and a value
 * that is one too (0 and non-finite values must match exactly). Subnormals are left out: GPUs may flush them to 0.
 */
function f32Cases(group: SpecialGroup) {
  return group.cases.filter(({ args, value }) => {
    if (!args.every(isF32)) return false;
    if (!Number.isFinite(value) || value === 0) return true;
    return Math.abs(value) >= F32_MIN_NORMAL && Math.abs(value) <= F32_MAX;
  });
}

/** exp has no fixture group (the float64 library uses Math.exp): its cases, from Math.exp at float32 arguments. */
function expGroup(): SpecialGroup {
  const args = [
    -103, -87.3, -80, -50, -20, -5.5, -1, -0.3, -1e-5, 0, 1e-7, 0.2, 0.35, 1, 3.7, 20, 50, 88, 88.7,
  ];
  for (let x = -87; x <= 88; x += 0.37) args.push(x);
  const cases = args.map((x) => Math.fround(x)).map((x) => ({ args: [x], value: Math.exp(x) }));
  return { name: 'exp', fn: 'exp', arity: 1, cases: [...cases, { args: [Infinity], value: Infinity }] };
}

const KERNEL = `// requires: math/special
struct SpecialCase { a: f32, b: f32, id: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> cases: array<SpecialCase>;
@group(0) @binding(1) var<storage, read_write> results: array<f32>;

fn evaluate(id: u32, a: f32, b: f32) -> f32 {
  var r = 0.0;
  switch id {
${FUNCTION_IDS.map((name, id) => `    case ${id}u: { r = ${CALLS[name]}; }`).join('\n')}
    default: { r = 0.0; }
  }
  return r;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= arrayLength(&cases)) {
    return;
  }
  results[i] = evaluate(cases[i].id, cases[i].a, cases[i].b);
}
`;

describe('f32 special functions in WGSL (shaders/math/special.wgsl) against mpmath', () => {
  let ctx: GpuContext;
  const groups = [expGroup(), ...loadSpecialFixtures(), ...specialEdgeGroups()].filter(
    (g) => !FLOAT64_ONLY.has(g.fn),
  );
  const results = new Map<
    string,
    { cases: { args: readonly number[]; value: number }[]; got: Float32Array }
  >();

  beforeAll(async () => {
    ctx = await testDevice();
    // One dispatch evaluates every case of every group.
    const all = groups.flatMap((group) => f32Cases(group).map((c) => ({ group, c })));
    const data = new ArrayBuffer(all.length * 16);
    const floats = new Float32Array(data);
    const words = new Uint32Array(data);
    all.forEach(({ group, c }, i) => {
      floats[4 * i] = c.args[0] as number;
      floats[4 * i + 1] = c.args[1] ?? 0;
      words[4 * i + 2] = FUNCTION_IDS.indexOf(group.fn);
    });
    const program = composeProgram({ modules: ['special_test'], extraSources: { special_test: KERNEL } });
    const pipeline = await computePipeline(ctx.device, program, 'main', 'special functions test');
    const input = createBuffer(ctx.device, { label: 'special cases', usage: STORAGE, data });
    const output = createBuffer(ctx.device, {
      label: 'special results',
      usage: STORAGE,
      size: all.length * 4,
    });
    const encoder = ctx.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindBuffers(ctx.device, pipeline, 'special functions', [input, output]));
    pass.dispatchWorkgroups(Math.ceil(all.length / 64));
    pass.end();
    ctx.device.queue.submit([encoder.finish()]);
    const got = new Float32Array(await readBuffer(ctx.device, output));
    input.destroy();
    output.destroy();
    let offset = 0;
    for (const group of groups) {
      const cases = f32Cases(group);
      results.set(group.name, { cases, got: got.subarray(offset, offset + cases.length) });
      offset += cases.length;
    }
  });
  afterAll(() => ctx?.device.destroy());

  it('compiles on its own, pasted unchanged into another program', async () => {
    const code = `${specialSource}
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(1) fn main() { out[0] = math_lgamma(out[0]) + math_inv_Phi(out[1]) + math_lmgamma(3, out[2]); }`;
    const module = ctx.device.createShaderModule({ label: 'special standalone', code });
    const info = await module.getCompilationInfo();
    expect(info.messages.filter((m) => m.type === 'error').map((m) => m.message)).toEqual([]);
  });

  it('has a WGSL call and a bound for every fixture group, and enough float32 cases in each', () => {
    for (const group of groups) {
      expect(CALLS[group.fn], group.fn).toBeDefined();
      if (group.name.endsWith(' edges')) {
        expect(f32Cases(group).length, group.name).toBe(group.cases.length);
        continue;
      }
      expect(BOUNDS[group.name], group.name).toBeDefined();
      expect(f32Cases(group).length, group.name).toBeGreaterThan(35);
    }
  });

  const achieved: Record<string, { cases: number; maxError: string; bound: string; at: string }> = {};
  for (const name of ['exp', ...loadSpecialFixtures().map((g) => g.name)].filter(
    (n) => !FLOAT64_ONLY.has(n),
  )) {
    it(`${name}`, () => {
      const { cases, got } = results.get(name) as {
        cases: { args: readonly number[]; value: number }[];
        got: Float32Array;
      };
      const { bound, floor } = BOUNDS[name] as { bound: number; floor: number };
      let worst = { error: 0, at: '' };
      cases.forEach(({ args, value }, i) => {
        const error = specialError(got[i] as number, value, Math.max(floor, F32_MIN_NORMAL));
        if (!(error <= worst.error)) worst = { error, at: `(${args.join(', ')}) = ${got[i]}, want ${value}` };
      });
      achieved[name] = {
        cases: cases.length,
        maxError: worst.error.toExponential(2),
        bound: `${bound.toExponential(1)}${floor ? ' (abs)' : ''}`,
        at: worst.at,
      };
      expect(worst.error, `${name}${worst.at}`).toBeLessThanOrEqual(bound);
    });
  }

  it('returns exactly the IEEE limits at the edges of the domains and NaN outside them (test/reference/special-fixtures.ts)', () => {
    const wrong: string[] = [];
    for (const group of specialEdgeGroups()) {
      const { cases, got } = results.get(group.name) as {
        cases: { args: readonly number[]; value: number }[];
        got: Float32Array;
      };
      cases.forEach(({ args, value }, i) => {
        if (specialError(got[i] as number, value, F32_MIN_NORMAL) !== 0) {
          wrong.push(`${group.fn}(${args.join(', ')}) = ${got[i]}, want ${value}`);
        }
      });
    }
    expect(wrong).toEqual([]);
  });

  it('prints the achieved errors', () => {
    console.info('f32 WGSL special functions, max error against mpmath (float64):');
    console.table(achieved);
    expect(Object.keys(achieved).length).toBe(results.size - specialEdgeGroups().length);
  });
});
