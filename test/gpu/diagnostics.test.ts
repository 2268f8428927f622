/**
 * The fit's PSIS diagnostic on Dawn (src/vi/diagnostics/program.ts and the engine around it): k-hat where q
 * is exact and where mean-field cannot fit, PSIS-corrected means against the exact ones, the GPU path
 * against CPU psis on the same draws read back, GPU memory flat in the number of draws, a diagnosis while
 * a fit runs, and the draws with densities that the Stan CSV is made of, against float64 references.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuffer, STORAGE } from '../../src/gpu/buffers';
import type { GpuContext } from '../../src/gpu/device';
import { uploadModelData } from '../../src/models/gpu-data';
import { normalMean } from '../../src/models/normal-mean';
import type { ModelDefinition } from '../../src/models/types';
import { DiagnosticsProgram } from '../../src/vi/diagnostics/program';
import { psis, psisCorrectedMoments } from '../../src/vi/diagnostics/psis';
import { fitDrawsCsv } from '../../src/vi/draws-csv';
import { ViEngine } from '../../src/vi/engine';
import { FULLRANK, fullRankIndex } from '../../src/vi/families/fullrank';
import { MEANFIELD } from '../../src/vi/families/meanfield';
import type { FamilyDescriptor } from '../../src/vi/families/types';
import { ISOTROPIC } from '../families/isotropic';
import { readStanCsv } from '../../src/vi/stan-csv';
import { LOG_2PI, normalMeanReference } from '../reference/models';
import { testDevice } from './gpu-context';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testDevice();
});
afterAll(() => ctx?.device.destroy());

/**
 * A bivariate Gaussian "posterior" N(m, S), written inline as a model: log density with its constants
 * (so the IW-ELBO is log 1 = 0 for an exact q) and gradient; reported values = z.
 */
function gaussian2(mean: readonly [number, number], sd: readonly [number, number], rho: number) {
  const [s1, s2] = sd;
  const det = s1 * s1 * s2 * s2 * (1 - rho * rho);
  // The precision matrix P = S^-1 and the log normaliser.
  const p11 = (s2 * s2) / det;
  const p22 = (s1 * s1) / det;
  const p12 = (-rho * s1 * s2) / det;
  const logNorm = -LOG_2PI - 0.5 * Math.log(det);
  const model: ModelDefinition = {
    name: `gaussian-rho${rho}`,
    title: 'A bivariate Gaussian',
    dataFields: [],
    defaultData: () => ({}),
    prepare: () => ({ dimension: 2, paramNames: ['x[1]', 'x[2]'], constants: {}, buffers: [] }),
    wgsl: `
fn model_log_joint(z: ptr<function, array<vec4<f32>, DV>>, grad: ptr<function, array<vec4<f32>, DV>>) -> f32 {
  let d = (*z)[0].xy - vec2<f32>(${mean[0]}, ${mean[1]});
  let pd = mat2x2<f32>(${p11}, ${p12}, ${p12}, ${p22}) * d;
  (*grad)[0] = vec4<f32>(-pd, 0.0, 0.0);
  return ${logNorm} - 0.5 * dot(d, pd);
}
fn model_constrain(z: ptr<function, array<vec4<f32>, DV>>, out: ptr<function, array<vec4<f32>, RV>>) {
  (*out)[0] = (*z)[0];
}`,
  };
  const logDensity = (x1: number, x2: number): number => {
    const d1 = x1 - mean[0];
    const d2 = x2 - mean[1];
    return logNorm - 0.5 * (p11 * d1 * d1 + 2 * p12 * d1 * d2 + p22 * d2 * d2);
  };
  return { model, logDensity };
}

/** A mean-field lambda for D <= 4 (means, then log sds). */
function meanfieldLambda(mu: readonly number[], sigma: readonly number[]): Float32Array {
  const lambda = new Float32Array(8);
  mu.forEach((m, i) => (lambda[i] = m));
  sigma.forEach((s, i) => (lambda[4 + i] = Math.log(s)));
  return lambda;
}

/** The diagnostic passes for a model at a lambda set by hand (no fit). */
async function programAt(
  model: ModelDefinition,
  mu: readonly number[],
  sigma: readonly number[],
  family: FamilyDescriptor = MEANFIELD,
  lambda: Float32Array = meanfieldLambda(mu, sigma),
) {
  const prepared = model.prepare({});
  const lambdaBuffer = createBuffer(ctx.device, { label: 'test lambda', usage: STORAGE, data: lambda });
  const modelData = uploadModelData(ctx.device, prepared);
  const program = await DiagnosticsProgram.create({
    ctx,
    model,
    prepared,
    family,
    seed: 11,
    lambda: lambdaBuffer,
    modelData,
  });
  return {
    program,
    lambda,
    destroy: () => {
      program.destroy();
      lambdaBuffer.destroy();
      modelData.destroy();
    },
  };
}

describe('k-hat after a fit', () => {
  it('is below 0.5 where q is exact (normal-mean), with the IW-ELBO at the log evidence', async () => {
    const data = normalMean.defaultData();
    // 10^6 draws asked for explicitly: 'auto' would take 10^5 on a CPU adapter.
    const engine = await ViEngine.create(ctx, normalMean, data, {
      samples: 4096,
      maxSteps: 1500,
      tol: 1e-4,
      diagnosticDraws: 1_000_000,
    });
    const result = await engine.fit();
    engine.destroy();
    const d = result.diagnostics;
    const exact = engine.prepared.exact;
    if (!exact) throw new Error('normal-mean has an exact posterior');
    const [mean, sd] = [exact.mean[0] as number, exact.sd[0] as number];
    // log p(y) = log p(y, z) - log p(z | y) at any z: here at the posterior mean.
    const logEvidence =
      normalMeanReference(data).logJoint(Float64Array.of(mean)).lp + 0.5 * (LOG_2PI + 2 * Math.log(sd));
    console.info(
      `[webgpu-vi] normal-mean diagnostic: k-hat ${d.khat} (${d.status}, ${d.level}) from ${d.draws} draws in ` +
        `${d.ms.toFixed(0)} ms; IW-ELBO ${d.iwElbo} (log evidence ${logEvidence}, ELBO ${result.elbo.final}); ` +
        `ESS ${d.ess}; corrected mean ${d.corrected?.mean[0]} sd ${d.corrected?.sd[0]} (exact ${mean}, ${sd})`,
    );
    expect(d.draws).toBe(1_000_000);
    expect(d.khat).toBeLessThan(0.5);
    expect(d.level).toBe('good');
    expect(d.invalidDraws).toBe(0);
    expect(d.ess).toBeGreaterThan(0.9 * d.draws);
    expect(Math.abs(d.iwElbo - logEvidence)).toBeLessThan(0.01);
    expect(d.corrected?.usable).toBe(true);
    expect(Math.abs((d.corrected?.mean[0] as number) - mean)).toBeLessThan(0.02 * sd);
    expect(Math.abs((d.corrected?.sd[0] as number) / sd - 1)).toBeLessThan(0.02);
    expect(JSON.parse(JSON.stringify(result)).diagnostics).toMatchObject({ level: 'good', draws: 1_000_000 });
  });

  it('is above 0.7 for mean-field on a strongly correlated Gaussian (D = 2, rho = 0.95)', async () => {
    const { model } = gaussian2([1, -1], [1, 1], 0.95);
    const engine = await ViEngine.create(
      ctx,
      model,
      {},
      { samples: 4096, maxSteps: 1500, lr: 0.02, tol: 1e-4, diagnosticDraws: 200_000 },
    );
    const result = await engine.fit();
    engine.destroy();
    const d = result.diagnostics;
    console.info(
      `[webgpu-vi] mean-field on rho 0.95: q sd ${result.lambda.sd.map((s) => s.toFixed(3))} (optimum ` +
        `${Math.sqrt(1 - 0.95 ** 2).toFixed(3)}); k-hat ${d.khat} (${d.level}), ESS ${d.ess.toFixed(0)} of ${d.draws}`,
    );
    // Mean-field's optimum here is sd sqrt(1 - rho^2) = 0.31 per coordinate: far too narrow along the ridge.
    result.lambda.sd.forEach((s) => expect(Math.abs(s / Math.sqrt(1 - 0.95 ** 2) - 1)).toBeLessThan(0.1));
    expect(d.khat).toBeGreaterThan(0.7);
    expect(d.level).toBe('bad');
    expect(d.reading).toMatch(/unreliable/);
    expect(d.corrected?.usable).toBe(false);
  });
});

describe('the diagnostic passes at a lambda set by hand', () => {
  // An offset, over-dispersed mean-field q for a correlated Gaussian: its means are off by 0.6 and 1.2
  // sd; importance weights (k-hat < 0.7) correct them.
  const target = gaussian2([0.5, 2], [1, 2], 0.6);
  const qMean = [1.1, -0.4];
  const qSd = [1.6, 3.2];

  it('gives PSIS-corrected means and sds closer to the exact ones than q', async () => {
    const { program, destroy } = await programAt(target.model, qMean, qSd);
    try {
      const d = await program.diagnose(1_000_000);
      console.info(
        `[webgpu-vi] offset q: k-hat ${d.khat.toFixed(3)} (${d.level}), ESS ${d.ess.toFixed(0)}; corrected means ` +
          `${d.corrected?.mean.map((m) => m.toFixed(4))} sds ${d.corrected?.sd.map((s) => s.toFixed(4))} ` +
          `(exact 0.5, 2 and 1, 2; q's ${qMean}, ${qSd}); IW-ELBO ${d.iwElbo.toFixed(5)} (log evidence 0)`,
      );
      expect(d.khat).toBeLessThan(0.7);
      expect(d.corrected?.usable).toBe(true);
      const exactMean = [0.5, 2];
      const exactSd = [1, 2];
      for (let j = 0; j < 2; j++) {
        const corrected = Math.abs((d.corrected?.mean[j] as number) - (exactMean[j] as number));
        const plain = Math.abs((qMean[j] as number) - (exactMean[j] as number));
        expect(corrected).toBeLessThan(0.1 * plain);
        expect(corrected).toBeLessThan(0.05 * (exactSd[j] as number));
        expect(Math.abs((d.corrected?.sd[j] as number) / (exactSd[j] as number) - 1)).toBeLessThan(0.05);
      }
      // The target is normalised: the IW-ELBO is a lower bound on log 1 = 0, and tight for a good q.
      expect(d.iwElbo).toBeLessThan(0.01);
      expect(d.iwElbo).toBeGreaterThan(-0.05);
    } finally {
      destroy();
    }
  });

  it('equals CPU psis on the same draws, read back once', async () => {
    const { program, lambda, destroy } = await programAt(target.model, qMean, [1.1, 1.5]);
    try {
      const count = 50_000;
      const gpu = await program.diagnose(count, { centre: 0 });
      const draws = await program.densityDraws(count, { stream: 'diagnostic' });
      // The read-back lanes are what the tail program computes, and log p / log q match float64 references.
      let worst = 0;
      for (let i = 0; i < count; i++) {
        const x1 = draws.values[4 * i] as number;
        const x2 = draws.values[4 * i + 1] as number;
        expect(draws.logRatio[i]).toBe(Math.fround((draws.logP[i] as number) - (draws.logQ[i] as number)));
        const lp = target.logDensity(x1, x2);
        worst = Math.max(worst, Math.abs((draws.logP[i] as number) - lp) / Math.max(1, Math.abs(lp)));
        const e1 = (x1 - (lambda[0] as number)) / Math.exp(lambda[4] as number);
        const e2 = (x2 - (lambda[1] as number)) / Math.exp(lambda[5] as number);
        const logG = -0.5 * (e1 * e1 + e2 * e2);
        expect(Math.abs((draws.logG[i] as number) - logG)).toBeLessThan(1e-4 * Math.max(1, -logG));
        const logQ = logG - LOG_2PI - (lambda[4] as number) - (lambda[5] as number);
        expect(Math.abs((draws.logQ[i] as number) - logQ)).toBeLessThan(1e-4 * Math.max(1, -logQ));
      }
      expect(worst).toBeLessThan(1e-5);
      const cpu = psis(draws.logRatio);
      const cpuMoments = psisCorrectedMoments(draws.values, 2, cpu.logWeights, draws.stride);
      console.info(
        `[webgpu-vi] GPU against CPU psis, S = ${count}: k-hat ${gpu.khat} / ${cpu.khat}, IW-ELBO ${gpu.iwElbo} / ` +
          `${cpu.iwElbo}, ESS ${gpu.ess} / ${cpu.ess}; worst log p error ${worst.toExponential(2)}`,
      );
      expect(gpu.status).toBe(cpu.status);
      expect(Math.abs(gpu.khat - cpu.khat)).toBeLessThan(1e-6);
      expect(Math.abs(gpu.iwElbo - cpu.iwElbo)).toBeLessThan(2e-6);
      expect(Math.abs(gpu.ess / cpu.ess - 1)).toBeLessThan(1e-5);
      for (let j = 0; j < 2; j++) {
        const scale = cpuMoments.sd[j] as number;
        expect(
          Math.abs((gpu.corrected?.mean[j] as number) - (cpuMoments.mean[j] as number)) / scale,
        ).toBeLessThan(1e-5);
        expect(Math.abs((gpu.corrected?.sd[j] as number) - scale) / scale).toBeLessThan(1e-5);
      }
      // Another centre changes only the f32 rounding of the log ratios.
      const centred = await program.diagnose(count);
      expect(Math.abs(centred.khat - gpu.khat)).toBeLessThan(1e-3);
      expect(Math.abs(centred.iwElbo - gpu.iwElbo)).toBeLessThan(1e-5);
    } finally {
      destroy();
    }
  });
});

describe('log ratios that span f32 range', () => {
  it("centres on the largest pilot ratios: a draw at log p = -1e30 does not swamp the others' weights", async () => {
    // p = N(0, 0.1^2) with a cliff: log p = -1e30 (finite) where |x| > 2, a region p gives no mass but q = N(0, 1)
    // draws 4.6 % of the time. The mean log ratio is then about -5e28, and the others, less that, were all
    // equal in f32 (every weight 1: IW-ELBO 0 by accident, ESS 96 % where it is 14 %).
    const s = 0.1;
    const logNorm = -0.5 * LOG_2PI - Math.log(s);
    const cliff: ModelDefinition = {
      name: 'normal-with-cliff',
      title: 'N(0, 0.1^2) with log p = -1e30 beyond |x| = 2',
      dataFields: [],
      defaultData: () => ({}),
      prepare: () => ({ dimension: 1, paramNames: ['x'], constants: {}, buffers: [] }),
      wgsl: `
fn model_log_joint(z: ptr<function, array<vec4<f32>, DV>>, grad: ptr<function, array<vec4<f32>, DV>>) -> f32 {
  let x = (*z)[0].x;
  if (abs(x) > 2.0) {
    (*grad)[0] = vec4<f32>(0.0);
    return -1e30;
  }
  (*grad)[0] = vec4<f32>(-x / ${s * s}, 0.0, 0.0, 0.0);
  return ${logNorm} - 0.5 * x * x / ${s * s};
}
fn model_constrain(z: ptr<function, array<vec4<f32>, DV>>, out: ptr<function, array<vec4<f32>, RV>>) {
  (*out)[0] = (*z)[0];
}`,
    };
    const { program, destroy } = await programAt(cliff, [0], [1]);
    try {
      const count = 50_000;
      const result = await program.diagnose(count);
      // Exact: p / q has E_q[w] = 1 (log Z = 0) and E_q[w^2] = 1 / (s sqrt(2 - s^2)), so the ESS is
      // count * s sqrt(2 - s^2) (PSIS smooths only the largest weights; q is wider than p, so w is bounded).
      const essFraction = s * Math.sqrt(2 - s * s);
      console.info(
        `[webgpu-vi] ${ctx.adapter.name}: cliff at -1e30: k-hat ${result.khat} (${result.status}), IW-ELBO ` +
          `${result.iwElbo}, ESS ${result.ess} of ${count} (exact ${(essFraction * count).toFixed(0)})`,
      );
      expect(Math.abs(result.iwElbo)).toBeLessThan(0.05);
      expect(Math.abs(result.ess / (essFraction * count) - 1)).toBeLessThan(0.1);
      expect(result.khat).toBeLessThan(0.5);
      expect(result.corrected?.usable).toBe(true);
      expect(Math.abs(result.corrected?.mean[0] as number)).toBeLessThan(0.01);
      expect(Math.abs((result.corrected?.sd[0] as number) / s - 1)).toBeLessThan(0.05);
    } finally {
      destroy();
    }
  });
});

describe('with other families', () => {
  it('finds q exact at the Cholesky factor of a correlated Gaussian (log q and Stan log g right)', async () => {
    const rho = 0.95;
    const target = gaussian2([1, -1], [1, 1], rho);
    const lambda = new Float32Array(FULLRANK.blocks(2) * 4);
    lambda[0] = 1;
    lambda[1] = -1;
    const l11 = Math.sqrt(1 - rho * rho);
    lambda[fullRankIndex(2, 1, 0)] = rho;
    lambda[fullRankIndex(2, 1, 1)] = Math.log(l11); // L[0][0] = exp(0) = 1
    const { program, destroy } = await programAt(target.model, [], [], FULLRANK, lambda);
    try {
      const d = await program.diagnose(200_000);
      const draws = await program.densityDraws(5000, { stream: 'diagnostic' });
      console.info(
        `[webgpu-vi] full-rank q at the exact Cholesky factor: k-hat ${d.khat} (${d.status}, ${d.level}), ` +
          `IW-ELBO ${d.iwElbo}, ESS ${d.ess.toFixed(0)} of ${d.draws}; corrected means ${d.corrected?.mean}`,
      );
      // log p - log q is 0 up to f32 rounding: equal weights (loo would call the ties a failed fit).
      expect(d.status).toBe('constant-tail');
      expect(d.level).toBe('good');
      expect(Math.abs(d.iwElbo)).toBeLessThan(1e-4);
      expect(d.ess).toBeGreaterThan(0.999 * d.draws);
      expect(Math.abs((d.corrected?.mean[0] as number) - 1)).toBeLessThan(0.01);
      expect(Math.abs((d.corrected?.mean[1] as number) + 1)).toBeLessThan(0.01);
      // Stan's log g = -0.5 |eps|^2 = log q + log 2 pi + log |det L| for every draw.
      for (let i = 0; i < draws.count; i++) {
        const gap = (draws.logG[i] as number) - (draws.logQ[i] as number) - LOG_2PI - Math.log(l11);
        expect(Math.abs(gap)).toBeLessThan(1e-4);
        expect(Math.abs((draws.logP[i] as number) - (draws.logQ[i] as number))).toBeLessThan(1e-4);
      }
    } finally {
      destroy();
    }
  });

  it("writes log q itself as log_g for a family that does not declare Stan's definition (isotropic)", async () => {
    const target = gaussian2([0, 0], [1, 1], 0);
    const [mu1, mu2, logSigma] = [0.25, -0.5, Math.log(1.3)];
    const lambda = Float32Array.of(mu1, mu2, 0, 0, logSigma, 0, 0, 0);
    const { program, destroy } = await programAt(target.model, [], [], ISOTROPIC, lambda);
    try {
      expect(ISOTROPIC.stanLogG).toBeUndefined();
      const draws = await program.densityDraws(2000);
      for (let i = 0; i < draws.count; i++) {
        expect(draws.logG[i]).toBe(draws.logQ[i]);
        const e1 = ((draws.values[4 * i] as number) - mu1) / Math.exp(logSigma);
        const e2 = ((draws.values[4 * i + 1] as number) - mu2) / Math.exp(logSigma);
        const logQ = -0.5 * (e1 * e1 + e2 * e2) - LOG_2PI - 2 * logSigma;
        expect(Math.abs((draws.logQ[i] as number) - logQ)).toBeLessThan(1e-4 * Math.max(1, -logQ));
      }
      // A wider q than this standard normal target: bounded weights.
      const d = await program.diagnose(50_000);
      expect(d.khat).toBeLessThan(0.5);
      expect(d.level).toBe('good');
    } finally {
      destroy();
    }
  });
});

describe('the engine', () => {
  /** Runs `task`, counting the bytes of the GPU buffers created meanwhile. */
  async function bytesCreatedDuring<T>(task: () => Promise<T>): Promise<{ value: T; created: number }> {
    const device = ctx.device;
    const original = device.createBuffer.bind(device);
    let created = 0;
    device.createBuffer = (descriptor: GPUBufferDescriptor) => {
      created += descriptor.size;
      return original(descriptor);
    };
    try {
      return { value: await task(), created };
    } finally {
      device.createBuffer = original;
    }
  }

  it('holds the same GPU memory for 10^3 and 2^20 diagnostic draws, and creates none per diagnosis', async () => {
    const bytes = async (diagnosticDraws: number) => {
      const engine = await ViEngine.create(ctx, normalMean, normalMean.defaultData(), { diagnosticDraws });
      await engine.runSteps(20);
      const before = engine.allocatedBytes;
      await engine.diagnose(1000); // builds the diagnostic passes
      const built = engine.allocatedBytes;
      const { value, created } = await bytesCreatedDuring(() => engine.diagnose());
      engine.destroy();
      console.info(
        `[webgpu-vi] diagnostic of ${value.draws} draws in ${value.ms.toFixed(0)} ms: engine bytes ${before} ` +
          `before, ${built} with the diagnostic passes; ${created} bytes created by the diagnosis`,
      );
      expect(value.draws).toBe(diagnosticDraws);
      expect(created).toBe(0);
      expect(engine.allocatedBytes).toBe(built);
      expect(built).toBeGreaterThan(before);
      return built;
    };
    expect(await bytes(2 ** 20)).toBe(await bytes(1000));
  });

  it('is reproducible: the same seed gives the same diagnostic to the bit, another seed other draws', async () => {
    const run = async (seed: number) => {
      const engine = await ViEngine.create(ctx, normalMean, normalMean.defaultData(), {
        samples: 1024,
        seed,
      });
      await engine.runSteps(30);
      const { ms: _ms, ...d } = await engine.diagnose(50_000);
      engine.destroy();
      return d;
    };
    const [a, b, c] = [await run(4), await run(4), await run(5)];
    expect(b).toEqual(a);
    expect(c.khat).not.toBe(a.khat);
  });

  it('diagnoses q while a fit runs (every pass sees one snapshot of lambda)', async () => {
    const engine = await ViEngine.create(ctx, normalMean, normalMean.defaultData(), {
      samples: 256,
      stepsPerSubmit: 2,
      // Adam moves lambda on the GPU at every step (L-BFGS, the default, moves it from the host only).
      optimizer: 'adam',
      lr: 0.01,
    });
    await engine.diagnose(1000); // the diagnostic passes are built before the fit starts
    let done = false;
    const fitting = engine.runSteps(1500).then(() => (done = true));
    const during: number[] = [];
    while (!done && during.length < 20) {
      const d = await engine.diagnose(2 ** 14, { moments: false });
      if (!done) during.push(d.khat);
    }
    await fitting;
    engine.destroy();
    console.info(`[webgpu-vi] k-hat during a fit: ${during.map((k) => k.toFixed(3)).join(', ')}`);
    // q moved between diagnoses (lambda went on changing under them), and each one was consistent.
    expect(during.length).toBeGreaterThanOrEqual(3);
    expect(new Set(during).size).toBeGreaterThan(1);
    expect(during.every(Number.isFinite)).toBe(true);
  });

  it("gives the summaries' draws with log p, Stan's log g and q's mean row, written as a Stan CSV", async () => {
    const data = normalMean.defaultData();
    const engine = await ViEngine.create(ctx, normalMean, data, {
      samples: 2048,
      maxSteps: 300,
      diagnosticDraws: 10_000,
    });
    const result = await engine.fit();
    const count = 2000;
    const withDensities = await engine.drawsWithDensities(count);
    const plain = await engine.draws(count);
    engine.destroy();
    const [mu] = result.lambda.mean as [number];
    const [sigma] = result.lambda.sd as [number];
    expect(Array.from(withDensities.values)).toEqual(Array.from(plain.values));
    expect(withDensities.meanRow[0]).toBe(Math.fround(mu));
    const reference = normalMeanReference(data);
    for (let i = 0; i < count; i++) {
      const z = withDensities.values[4 * i] as number;
      const lp = reference.logJoint(Float64Array.of(z)).lp;
      expect(Math.abs((withDensities.logP[i] as number) - lp) / Math.abs(lp)).toBeLessThan(1e-5);
      const eps = (z - mu) / sigma;
      expect(Math.abs((withDensities.logG[i] as number) + 0.5 * eps * eps)).toBeLessThan(1e-4);
    }
    const csv = readStanCsv(fitDrawsCsv(result, withDensities));
    expect(csv.header).toEqual(['lp__', 'log_p__', 'log_g__', 'z']);
    expect(csv.config).toMatchObject({
      method: 'variational',
      algorithm: 'meanfield',
      output_samples: '2000',
    });
    expect(csv.rows).toHaveLength(1 + count);
    expect(Math.fround(csv.rows[0]?.[3] as number)).toBe(Math.fround(mu));
    csv.rows.slice(1).forEach((row, i) => {
      expect(Math.fround(row[1] as number)).toBe(withDensities.logP[i]);
      expect(Math.fround(row[2] as number)).toBe(withDensities.logG[i]);
      expect(Math.fround(row[3] as number)).toBe(plain.values[4 * i]);
    });
  });
});
