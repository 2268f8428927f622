/** The engine on the real WebGPU implementation: exact posteriors, reproducibility, memory, errors, divergence. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { DataError } from '../../src/models/data';
import { logistic, syntheticLogisticData } from '../../src/models/logistic';
import { normalMean } from '../../src/models/normal-mean';
import type { ModelDefinition } from '../../src/models/types';
import { compileStan } from '../../src/stan/compile';
import { chooseModelBatch, ViEngine } from '../../src/vi/engine';
import { SettingsError } from '../../src/vi/settings';
import { testDevice } from './gpu-context';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testDevice();
});
afterAll(() => ctx?.device.destroy());

describe('normal-mean recovers its exact posterior', () => {
  it.each([
    ['meanfield', 'lbfgs'],
    ['fullrank', 'lbfgs'],
    ['meanfield', 'adam'],
    ['fullrank', 'adam'],
  ] as const)('%s, %s', async (family, optimizer) => {
    const engine = await ViEngine.create(ctx, normalMean, normalMean.defaultData(), {
      family,
      optimizer,
      samples: 4096,
      maxSteps: 1500,
    });
    const result = await engine.fit();
    engine.destroy();
    const exact = engine.prepared.exact;
    if (!exact) throw new Error('normal-mean has an exact posterior');
    const [mean, sd] = [exact.mean[0] as number, exact.sd[0] as number];
    console.info(
      `[webgpu-vi] normal-mean ${family} ${optimizer}: ${result.message}; mean ${result.params.mean[0]} (exact ${mean}), ` +
        `sd ${result.params.sd[0]} (exact ${sd})`,
    );
    expect(result.converged).toBe(true);
    expect(Math.abs((result.params.mean[0] as number) - mean)).toBeLessThan(0.05 * sd);
    expect(Math.abs((result.params.sd[0] as number) / sd - 1)).toBeLessThan(0.05);
    expect(Math.abs((result.lambda.mean[0] as number) - mean)).toBeLessThan(0.05 * sd);
    // L-BFGS records its accepted iterations (a handful here), Adam every step.
    expect(result.elbo.trace.length).toBeGreaterThan(optimizer === 'lbfgs' ? 3 : 10);
    // The ELBO rose: the last window's mean beats the first steps'.
    const first = result.elbo.trace[0]?.[1] as number;
    expect(result.elbo.final).toBeGreaterThan(first);
  });
});

describe('reproducibility and memory', () => {
  it('the same seed gives bitwise-identical lambda and ELBO trace; another seed does not', async () => {
    const run = async (seed: number) => {
      const engine = await ViEngine.create(ctx, normalMean, normalMean.defaultData(), {
        samples: 1000,
        maxSteps: 60,
        seed,
        stepsPerSubmit: 7,
      });
      const result = await engine.fit();
      engine.destroy();
      return result;
    };
    const [a, b, c] = [await run(5), await run(5), await run(6)];
    expect(b.lambda.raw).toEqual(a.lambda.raw);
    expect(b.elbo.trace).toEqual(a.elbo.trace);
    expect(c.lambda.raw).not.toEqual(a.lambda.raw);
  });

  it('allocates the same bytes at 2^10 and 2^24 samples per step', async () => {
    const bytes = async (samples: number) => {
      const engine = await ViEngine.create(ctx, normalMean, normalMean.defaultData(), { samples });
      const allocated = engine.allocatedBytes;
      engine.destroy();
      return allocated;
    };
    expect(await bytes(2 ** 24)).toBe(await bytes(2 ** 10));
  });

  it('runs a single step of 2^24 samples (past the 65535-workgroup limit) with a consistent ELBO', async () => {
    const engine = await ViEngine.create(ctx, normalMean, normalMean.defaultData(), { samples: 2 ** 24 });
    const metrics: { elbo: number; mcse: number }[] = [];
    await engine.runSteps(1, (batch) => void metrics.push(...batch));
    engine.destroy();
    // At lambda = (0, log 1): ELBO = E_N(0,1)[log p(y, z)] + H[N(0,1)], computed here in float64.
    const data = normalMean.defaultData() as { y: number[]; sigma: number; mu0: number; tau0: number };
    const n = data.y.length;
    const ybar = data.y.reduce((a, b) => a + b, 0) / n;
    const ss = data.y.reduce((a, b) => a + (b - ybar) ** 2, 0);
    const log2pi = Math.log(2 * Math.PI);
    const expectedLp =
      -0.5 * log2pi -
      Math.log(data.tau0) -
      (0.5 * (1 + data.mu0 ** 2)) / data.tau0 ** 2 +
      n * (-0.5 * log2pi - Math.log(data.sigma)) -
      (0.5 * (ss + n * (ybar ** 2 + 1))) / data.sigma ** 2;
    const expectedElbo = expectedLp + 0.5 * (1 + log2pi);
    const [m] = metrics;
    if (!m) throw new Error('no metrics');
    console.info(
      `[webgpu-vi] 2^24 samples: ELBO ${m.elbo} ± ${m.mcse} (float64 expectation ${expectedElbo})`,
    );
    expect(m.mcse).toBeGreaterThan(0);
    expect(Math.abs(m.elbo - expectedElbo)).toBeLessThan(5 * m.mcse + 1e-4 * Math.abs(expectedElbo));
  });
});

describe('samples per model call (a model with a batch entry point)', () => {
  it('draws the same samples at any batch: ELBO and lambda agree to f32 rounding', async () => {
    const data = syntheticLogisticData(203, 6, 4);
    // 1000 samples: not a multiple of 64 x batch, so the last batch runs past the end (drawn, not counted).
    const run = async (modelBatch: number) => {
      const engine = await ViEngine.create(
        ctx,
        logistic,
        data,
        { samples: 1000, seed: 3, stepsPerSubmit: 4, optimizer: 'adam', lr: 0.05 },
        { modelBatch },
      );
      const metrics: { elbo: number }[] = [];
      await engine.runSteps(4, (batch) => void metrics.push(...batch));
      const lambda = await engine.readLambda();
      engine.destroy();
      expect(engine.modelBatch).toBe(modelBatch);
      return { elbo: metrics.map((m) => m.elbo), lambda };
    };
    const one = await run(1);
    for (const batch of [3, 16]) {
      const other = await run(batch);
      other.elbo.forEach((e, i) => expect(Math.abs(e - (one.elbo[i] as number))).toBeLessThan(1e-4));
      other.lambda.forEach((v, i) => expect(Math.abs(v - (one.lambda[i] as number))).toBeLessThan(1e-5));
    }
    // Counting the 24 samples past the end would move the first ELBO by far more than f32 rounding.
    const more = await ViEngine.create(ctx, logistic, data, { samples: 1024, seed: 3 }, { modelBatch: 1 });
    const moreMetrics: { elbo: number }[] = [];
    await more.runSteps(1, (batch) => void moreMetrics.push(...batch));
    more.destroy();
    expect(Math.abs((moreMetrics[0]?.elbo ?? 0) - (one.elbo[0] as number))).toBeGreaterThan(1e-3);
    await expect(ViEngine.create(ctx, logistic, data, { samples: 1000 }, { modelBatch: 17 })).rejects.toThrow(
      /model batch 17/,
    );
  });

  it('picks 16 on a CPU adapter, fewer when one workgroup covers the samples, 1 on a GPU or a one-sample model', () => {
    const prepared = logistic.prepare(logistic.defaultData());
    expect(chooseModelBatch(true, prepared, 2 ** 16)).toBe(16);
    expect(chooseModelBatch(true, prepared, 2 ** 10)).toBe(16);
    expect(chooseModelBatch(true, prepared, 1000)).toBe(16);
    expect(chooseModelBatch(true, prepared, 2 ** 8)).toBe(4);
    expect(chooseModelBatch(true, prepared, 100)).toBe(2);
    expect(chooseModelBatch(true, prepared, 64)).toBe(1);
    expect(chooseModelBatch(false, prepared, 2 ** 16)).toBe(1);
    expect(chooseModelBatch(true, normalMean.prepare(normalMean.defaultData()), 2 ** 16)).toBe(1);
  });
});

describe('pausing a fit', () => {
  it('reports the pause once every submit in flight has been reported, and submits nothing until resumed', async () => {
    const engine = await ViEngine.create(ctx, normalMean, normalMean.defaultData(), {
      samples: 1000,
      maxSteps: 30,
      stepsPerSubmit: 3,
      evalEvery: 30,
      optimizer: 'adam',
      lr: 0.05,
    });
    let asked = 0;
    let reportedSteps = 0;
    let pausedAt: number | undefined;
    let reportedAtPause = 0;
    let progressWhilePaused = 0;
    let resume = (): void => undefined;
    const gate = new Promise<void>((resolve) => (resume = resolve));
    const result = await engine.fit({
      // The third ask comes with two submits in flight.
      waitWhilePaused: () => (++asked === 3 ? gate : undefined),
      onPaused: (stepsTaken) => {
        pausedAt = stepsTaken;
        reportedAtPause = reportedSteps;
        setTimeout(resume, 200);
      },
      onProgress: (progress) => {
        reportedSteps = progress.step + 1;
        if (pausedAt !== undefined && asked === 3) progressWhilePaused++;
      },
    });
    engine.destroy();
    expect(pausedAt).toBe(6);
    expect(reportedAtPause).toBe(6);
    expect(reportedSteps).toBe(result.steps);
    expect(progressWhilePaused).toBe(0);
    expect(asked).toBeGreaterThan(3);
    expect(result.steps).toBeGreaterThan(6);
  });
});

describe('bad input is refused before any GPU work, naming the field', () => {
  const data = normalMean.defaultData();
  it.each([
    [{ lr: 0 }, /setting "lr": expected a learning rate > 0/],
    [{ lr: -1 }, /"lr"/],
    [{ samples: 0 }, /setting "samples": expected an integer in \[1, 16777216\]/],
    [{ samples: 2 ** 24 + 1 }, /"samples"/],
    [{ maxSteps: 0 }, /"maxSteps"/],
    [
      { family: 'diagonal' as never },
      /setting "family": expected "meanfield", "fullrank", "lowrank" or "flow"/,
    ],
  ])('%o', async (settings, message) => {
    await expect(ViEngine.create(ctx, normalMean, data, settings)).rejects.toThrow(SettingsError);
    await expect(ViEngine.create(ctx, normalMean, data, settings)).rejects.toThrow(message);
  });

  it.each([
    [{ ...data, y: undefined }, /data field "y": expected an array of N = 20 numbers, got nothing/],
    [{ ...data, y: [1, 2] }, /data field "y": expected an array of N = 20 numbers, got an array of length 2/],
    [{ ...data, sigma: Number.NaN }, /data field "sigma": expected a finite number/],
    [{ ...data, y: [...(data.y as number[]).slice(1), Number.POSITIVE_INFINITY] }, /data field "y\[20\]"/],
    [{ ...data, tau0: 0 }, /data field "tau0": expected a number > 0/],
  ])('data %#', async (bad, message) => {
    await expect(ViEngine.create(ctx, normalMean, bad, {})).rejects.toThrow(DataError);
    await expect(ViEngine.create(ctx, normalMean, bad, {})).rejects.toThrow(message);
  });
});

describe('GPU errors during a fit', () => {
  it('a validation error the device raised makes the fit fail instead of silently doing nothing', async () => {
    const own = await testDevice();
    const engine = await ViEngine.create(own, normalMean, normalMean.defaultData(), {
      samples: 256,
      maxSteps: 50,
    });
    // MAP_READ cannot be combined with STORAGE: WebGPU reports it as an uncaptured validation error.
    own.device.createBuffer({ size: 16, usage: 0x0001 | 0x0080 });
    await expect(engine.fit()).rejects.toThrow(/the GPU rejected the fit's work/);
    own.device.destroy();
  });
});

describe('a diverging run', () => {
  // A model whose log joint is finite only for |z| < 4 and pushes z up: the run walks into NaN.
  const fragile: ModelDefinition = {
    ...normalMean,
    name: 'fragile',
    wgsl: `
fn model_log_joint(z: ptr<function, array<vec4<f32>, DV>>, grad: ptr<function, array<vec4<f32>, DV>>) -> f32 {
  let x = (*z)[0].x;
  (*grad)[0] = vec4<f32>(1.0, 0.0, 0.0, 0.0);
  return select(x, sqrt(-1.0 - abs(x)), abs(x) > 4.0);
}
fn model_constrain(z: ptr<function, array<vec4<f32>, DV>>, out: ptr<function, array<vec4<f32>, RV>>) {
  (*out)[0] = (*z)[0];
}`,
  };

  // N(0, 0.1^2), but NaN beyond |z| = 0.6: at sd 1, 55 % of the draws are out there, more than the half the KL
  // objective may leave out (README "Non-finite draws"), so no step from q's default start is usable; at sd 0.5,
  // 23 % are, which the steps leave out until q has narrowed to where none is.
  const cliffy: ModelDefinition = {
    ...normalMean,
    name: 'cliffy',
    wgsl: `
fn model_log_joint(z: ptr<function, array<vec4<f32>, DV>>, grad: ptr<function, array<vec4<f32>, DV>>) -> f32 {
  let x = (*z)[0].x;
  (*grad)[0] = vec4<f32>(-x / 0.01, 0.0, 0.0, 0.0);
  return select(-0.5 * x * x / 0.01, sqrt(-1.0 - abs(x)), abs(x) > 0.6);
}
fn model_constrain(z: ptr<function, array<vec4<f32>, DV>>, out: ptr<function, array<vec4<f32>, RV>>) {
  (*out)[0] = (*z)[0];
}`,
  };

  it.each(['lbfgs', 'adam'])(
    '%s starts narrower when no draw set from sd 1 is usable (over half of it not finite), and fits the posterior',
    async (optimizer) => {
      const engine = await ViEngine.create(ctx, cliffy, normalMean.defaultData(), {
        samples: 4096,
        optimizer,
        diagnosticDraws: 1000,
      });
      const result = await engine.fit();
      engine.destroy();
      console.info(
        `[webgpu-vi] ${ctx.adapter.name}: ${optimizer} on a cliff at |z| = 0.6: start sd ${result.accuracy.startScale}, ` +
          `${result.steps} steps (${result.stopReason}), q ${result.lambda.mean[0]} ± ${result.lambda.sd[0]}`,
      );
      expect(result.accuracy.startScale).toBe(0.5);
      expect(result.stopReason).not.toBe('diverged');
      expect(Math.abs(result.lambda.mean[0] as number)).toBeLessThan(0.01);
      expect(Math.abs((result.lambda.sd[0] as number) / 0.1 - 1)).toBeLessThan(0.05);
    },
  );

  it('says so when no start is usable: bounded priors on unbounded parameters (dogs_log)', async () => {
    // log p is finite only where b[1] < 0 < b[2]: a quarter of any q centred at 0, less than the half the KL
    // objective needs, at every start scale.
    const compiled = compileStan(
      'parameters { vector[2] b; } model { b[1] ~ uniform(-100, 0); b[2] ~ uniform(0, 100); }',
      { name: 'unbounded-uniform' },
    );
    if ('diagnostics' in compiled) throw new Error(compiled.diagnostics.map((d) => d.message).join('\n'));
    const engine = await ViEngine.create(ctx, compiled.model, {}, { samples: 1024, diagnosticDraws: 1000 });
    const result = await engine.fit();
    engine.destroy();
    expect(result.stopReason).toBe('diverged');
    expect(result.message).toMatch(
      /^diverged before its first step: none of 6 starting q's \(sd 1, 0\.5, 0\.25, 0\.1, 0\.03, 0\.01\) gave a usable ELBO.*<lower=a, upper=b>/,
    );
  });

  it('skips non-finite steps, ends with a message and keeps the last finite lambda', async () => {
    const engine = await ViEngine.create(ctx, fragile, normalMean.defaultData(), {
      samples: 256,
      maxSteps: 500,
      optimizer: 'adam',
      lr: 0.1,
    });
    const result = await engine.fit();
    engine.destroy();
    expect(result.stopReason).toBe('diverged');
    expect(result.converged).toBe(false);
    expect(result.message).toMatch(/diverged/);
    expect(result.lambda.raw.every(Number.isFinite)).toBe(true);
    expect(result.elbo.trace.length).toBeGreaterThan(0);
    expect(Number.isFinite(result.elbo.final)).toBe(true);
  });
});
