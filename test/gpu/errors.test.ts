import { describe, expect, it } from 'vitest';
import { acquireDevice } from '../../src/gpu/device';
import { AdapterNotFoundError, ShaderCompilationError } from '../../src/gpu/errors';
import { shaderModule } from '../../src/gpu/pipelines';
import { composeProgram } from '../../src/gpu/shader-library';
import { ModelLimitError } from '../../src/models/types';
import { compileStan } from '../../src/stan/compile';
import { ViEngine } from '../../src/vi/engine';
import { testDevice } from './gpu-context';

describe('GPU errors', () => {
  it('a WGSL error names the module file, line and message', async () => {
    const ctx = await testDevice();
    const program = composeProgram({
      modules: ['test/broken'],
      constants: { WG_SIZE: 64 },
      extraSources: {
        'test/broken': [
          '// requires: rng/philox',
          'fn fine() -> f32 { return philox_uniform01(7u); }',
          'fn broken() -> f32 { return undefined_thing + 1.0; }',
        ].join('\n'),
      },
    });
    const error = await shaderModule(ctx.device, program, 'broken program').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShaderCompilationError);
    const { messages } = error as ShaderCompilationError;
    expect(messages[0]).toMatchObject({ file: 'test/broken', line: 3, type: 'error' });
    expect(messages[0]?.message).toMatch(/undefined_thing/);
    expect((error as Error).message).toMatch(/test\/broken:3:\d+: error: .*undefined_thing/);
    ctx.device.destroy();
  });

  it('a WGSL error in generated code names its source line, and leaves no uncaptured error', async () => {
    const ctx = await testDevice();
    const program = composeProgram({
      modules: ['test/generated'],
      constants: { WG_SIZE: 64 },
      extraSources: {
        'test/generated': [
          'fn generated() -> f32 {',
          '  // @source model.stan:7',
          '  let a = 1.0;',
          '  // @source model.stan:9',
          '  let b = a +',
          '    not_declared;',
          '  return b;',
          '}',
        ].join('\n'),
      },
    });
    const error = await shaderModule(ctx.device, program, 'generated program').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShaderCompilationError);
    expect((error as ShaderCompilationError).messages[0]).toMatchObject({
      file: 'test/generated',
      line: 6,
      source: 'model.stan:9',
    });
    expect((error as Error).message).toMatch(
      /test\/generated:6:\d+ \(from model\.stan:9\): error: .*not_declared/,
    );
    // The refusal was reported once, as this error: none is left on the device to fail a later fit.
    expect(ctx.uncapturedError()).toBeUndefined();
    ctx.device.destroy();
  });

  it('a model holding more function memory than a CPU adapter compiles is refused there, before compiling', async () => {
    // Three stored vectors of K Duals (D = 1: 32 bytes each): K = 1100 holds 105600 bytes, over the CPU limit;
    // SwiftShader's compile of it crashed the process (src/vi/tuning.ts, CPU_MAX_FUNCTION_BYTES).
    const compiled = compileStan(
      'data { int K; } parameters { real y; } model { vector[K] a; vector[K] b; vector[K] c; ' +
        'for (k in 1:K) { a[k] = y * k; b[k] = y + k; c[k] = y - k; } a[1] = y; b[1] = y; c[1] = y; ' +
        'y ~ normal(sum(a) + sum(b) + sum(c), 1); }',
      { name: 'stacked' },
    );
    if ('diagnostics' in compiled) throw new Error(compiled.diagnostics.map((d) => d.message).join('\n'));
    expect(compiled.model.prepare({ K: 1100 }).functionBytes).toBe(3 * 1100 * 32);
    const ctx = await testDevice();
    try {
      const created = ViEngine.create(ctx, compiled.model, { K: 1100 }, { samples: 64 });
      if (ctx.adapter.isCpu) {
        await expect(created).rejects.toThrow(ModelLimitError);
        await expect(created).rejects.toThrow(/holds 105600 bytes of arrays per thread, more than the 98304/);
      } else {
        (await created).destroy();
      }
      // Within the limit it compiles and steps (K = 1000: 96000 bytes).
      const small = await ViEngine.create(ctx, compiled.model, { K: 1000 }, { samples: 64 });
      await small.runSteps(1);
      small.destroy();
    } finally {
      ctx.device.destroy();
    }
  });

  it('no adapter gives AdapterNotFoundError', async () => {
    const noAdapter = { requestAdapter: async () => null, wgslLanguageFeatures: new Set() } as unknown as GPU;
    await expect(acquireDevice({ gpu: noAdapter })).rejects.toBeInstanceOf(AdapterNotFoundError);
  });

  it('a hung adapter request times out with AdapterNotFoundError instead of hanging', async () => {
    const hung = {
      requestAdapter: () => new Promise(() => {}),
      wgslLanguageFeatures: new Set(),
    } as unknown as GPU;
    await expect(acquireDevice({ gpu: hung, timeoutMs: 50 })).rejects.toThrow(/timed out/);
  });

  it('reports device loss with its reason', async () => {
    const ctx = await testDevice();
    ctx.device.destroy();
    const lost = await ctx.lost;
    expect(lost.reason).toBe('destroyed');
    expect(lost.message).toMatch(/device lost \(destroyed\)/);
  });
});
