import { describe, expect, it } from 'vitest';
import { acquireDevice } from '../../src/gpu/device';
import { AdapterNotFoundError, ShaderCompilationError } from '../../src/gpu/errors';
import { shaderModule } from '../../src/gpu/pipelines';
import { composeProgram } from '../../src/gpu/shader-library';
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
