/**
 * The CPU-adapter loop unroller (src/gpu/loop-unroll.ts) inside the engine: the unrolled step kernel gives the
 * plain kernel's numbers, and a model whose unrolled form does not compile (a const index out of bounds in a
 * dead branch, which WGSL rejects at shader creation) still runs, from its plain loops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { composeProgram } from '../../src/gpu/shader-library';
import type { ModelDefinition } from '../../src/models/types';
import { ViEngine } from '../../src/vi/engine';
import { testDevice } from './gpu-context';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testDevice();
});
afterAll(() => ctx?.device.destroy());

/**
 * log p(z) = -0.5 * sum_i (z_i - m_i)^2 with m = (1, 2, 3, 4), written with a look-ahead that is dead in the
 * last iteration: unrolled, `M[i + 1u]` at i = 3 is a const-expression out of bounds.
 */
const LOOKAHEAD_WGSL = `
const LOOKAHEAD_M = array<f32, 4>(1.0, 2.0, 3.0, 4.0);
fn model_log_joint(z: ptr<function, array<vec4<f32>, DV>>, grad: ptr<function, array<vec4<f32>, DV>>) -> f32 {
  var lp = 0.0;
  var next = 0.0;
  for (var i = 0u; i < 4u; i = i + 1u) {
    let dev = (*z)[0][i] - LOOKAHEAD_M[i];
    lp = lp - 0.5 * dev * dev;
    (*grad)[0][i] = -dev;
    if (i < 3u) {
      next = next + 0.0 * LOOKAHEAD_M[i + 1u];
    }
  }
  return lp + next;
}
fn model_constrain(z: ptr<function, array<vec4<f32>, DV>>, out: ptr<function, array<vec4<f32>, RV>>) {
  (*out)[0] = (*z)[0];
}`;

const lookahead: ModelDefinition = {
  name: 'lookahead',
  title: 'A 4-D standard normal at (1, 2, 3, 4), with a dead look-ahead',
  wgsl: LOOKAHEAD_WGSL,
  dataFields: [],
  defaultData: () => ({}),
  prepare: () => ({
    dimension: 4,
    paramNames: ['x[1]', 'x[2]', 'x[3]', 'x[4]'],
    constants: {},
    buffers: [],
  }),
};

describe('loops unrolled on a CPU adapter', () => {
  it('this adapter is a CPU adapter (else the engine does not unroll, and the test means nothing)', () => {
    console.info(`[webgpu-vi] unroll test on ${ctx.adapter.name} (isCpu: ${ctx.adapter.isCpu})`);
    expect(ctx.adapter.isCpu).toBe(true);
  });

  it("the model's unrolled form is refused by the WGSL compiler, its plain form is not", async () => {
    const compile = async (unrollLoops: boolean) => {
      const program = composeProgram({
        modules: ['model'],
        extraSources: { model: LOOKAHEAD_WGSL },
        unrollLoops,
        constants: { D: 4, DV: 1, RV: 1 },
      });
      // In an error scope, so that the refusal is not left on the device for the next test's fit.
      ctx.device.pushErrorScope('validation');
      const module = ctx.device.createShaderModule({ code: program.code });
      await ctx.device.popErrorScope();
      const info = await module.getCompilationInfo();
      return info.messages.filter((m) => m.type === 'error').map((m) => m.message);
    };
    expect(await compile(false)).toEqual([]);
    expect((await compile(true)).join('\n')).toMatch(/out of bounds|index/i);
  });

  it('such a model still fits (the engine falls back to the plain loops) and reaches the exact posterior', async () => {
    const engine = await ViEngine.create(ctx, lookahead, {}, { samples: 4096, seed: 3, maxSteps: 300 });
    const result = await engine.fit();
    engine.destroy();
    console.info(
      `[webgpu-vi] lookahead: ${result.message}; means ${result.lambda.mean.map((m) => m.toFixed(3)).join(', ')}`,
    );
    [1, 2, 3, 4].forEach((m, i) =>
      expect(Math.abs((result.lambda.mean[i] as number) - m)).toBeLessThan(0.05),
    );
    result.lambda.sd.forEach((s) => expect(Math.abs(s - 1)).toBeLessThan(0.05));
  });
});
