/**
 * The low-rank plus diagonal family (src/vi/families/lowrank.ts) on the real WebGPU implementation, against the
 * float64 reference of test/reference/lowrank.ts: its draws' moments, log q at its draws, the lambda-gradient of
 * the fixed-sample ELBO against finite differences of the same ELBO in float64 (common random numbers: the
 * reference regenerates the engine's Philox noise), and fits of an exact correlated Gaussian.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { ViEngine } from '../../src/vi/engine';
import { lowRankIndex } from '../../src/vi/families/lowrank';
import { SettingsError } from '../../src/vi/settings';
import { vec4Count, type ModelDefinition } from '../../src/models/types';
import { gaussianModel, inverse } from '../models/gaussian';
import { covariance, entropy, logQ, sample, stepNoise, unpackLowRank } from '../reference/lowrank';
import { testDevice } from './gpu-context';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testDevice();
});
afterAll(() => ctx?.device.destroy());

const PRECISION = [
  [4, 1.5, 0.5, 0.2],
  [1.5, 2, 0.3, -0.4],
  [0.5, 0.3, 1, 0.25],
  [0.2, -0.4, 0.25, 1.5],
];
const MEAN = [1, -2, 0.5, 0.25];
const D = MEAN.length;
const gaussian = gaussianModel('correlated-gaussian-4', MEAN, PRECISION);

/** A lambda away from the start, in the GPU layout: rank K columns of B, log sds, means. */
function someLambda(k: number): Float32Array {
  const w = vec4Count(D) * 4;
  const lambda = new Float32Array((2 + k) * w);
  for (let i = 0; i < D; i++) {
    lambda[i] = 0.3 * i - 0.5;
    lambda[w + i] = -0.4 + 0.15 * i;
    for (let j = 0; j < k; j++) lambda[lowRankIndex(D, i, j)] = 0.4 * Math.sin(1.3 * i + 2.1 * j + 0.5);
  }
  return lambda;
}

/** log p of the Gaussian model (its WGSL: -1/2 (z - m)' P (z - m), no constant). */
function logP(z: readonly number[]): number {
  let quad = 0;
  for (let i = 0; i < D; i++) {
    for (let j = 0; j < D; j++) {
      quad +=
        ((z[i] as number) - (MEAN[i] as number)) *
        (PRECISION[i]?.[j] as number) *
        ((z[j] as number) - (MEAN[j] as number));
    }
  }
  return -0.5 * quad;
}

/**
 * A Gaussian chain in D dimensions, log p = -(sum z_i^2 - 1/2 sum z_i z_{i+1}) (precision 2 on the diagonal,
 * -1/2 beside it), written without gaussianModel's D x D constant (40 000 entries at D = 200).
 */
function chainModel(d: number): ModelDefinition {
  const base = gaussianModel(`chain-${d}`, [0], [[1]]);
  const wgsl = `
fn chain_at(z: ptr<function, array<vec4<f32>, DV>>, i: u32) -> f32 {
  return select(0.0, (*z)[i / 4u][i % 4u], i < ${d}u);
}
fn model_log_joint(z: ptr<function, array<vec4<f32>, DV>>, grad: ptr<function, array<vec4<f32>, DV>>) -> f32 {
  *grad = array<vec4<f32>, DV>();
  var lp = 0.0;
  for (var i = 0u; i < ${d}u; i = i + 1u) {
    let zi = chain_at(z, i);
    let prev = select(0.0, chain_at(z, i - 1u), i > 0u);
    lp = lp - zi * zi + 0.5 * zi * chain_at(z, i + 1u);
    (*grad)[i / 4u][i % 4u] = -2.0 * zi + 0.5 * (prev + chain_at(z, i + 1u));
  }
  return lp;
}
fn model_constrain(z: ptr<function, array<vec4<f32>, DV>>, out: ptr<function, array<vec4<f32>, RV>>) {
  for (var j = 0u; j < RV; j = j + 1u) {
    (*out)[j] = (*z)[j];
  }
}`;
  return {
    ...base,
    wgsl,
    prepare: () => ({
      dimension: d,
      paramNames: Array.from({ length: d }, (_, i) => `x[${i + 1}]`),
      constants: {},
      buffers: [],
    }),
  };
}

describe('lowrank: q = N(mu, diag(sigma^2) + B B^T)', () => {
  const K = 2;

  it("its draws' mean and covariance match its parameters; log q at its draws matches float64", async () => {
    const engine = await ViEngine.create(
      ctx,
      gaussian,
      {},
      { family: 'lowrank', rank: K, diagnosticDraws: 1000 },
    );
    const lambda = someLambda(K);
    engine.writeLambda(lambda);
    const count = 20_000;
    const set = await engine.draws(count);
    const dens = await engine.drawsWithDensities(50);
    engine.destroy();
    const q = unpackLowRank(lambda, D, K);
    const cov = covariance(q);
    const mean = Array.from({ length: D }, (_, i) => {
      let s = 0;
      for (let n = 0; n < count; n++) s += set.values[n * set.stride + i] as number;
      return s / count;
    });
    let worstMean = 0;
    let worstCov = 0;
    for (let i = 0; i < D; i++) {
      const sd = Math.sqrt(cov[i]?.[i] as number);
      worstMean = Math.max(worstMean, Math.abs((mean[i] as number) - (q.mean[i] as number)) / sd);
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let n = 0; n < count; n++) {
          s +=
            ((set.values[n * set.stride + i] as number) - (mean[i] as number)) *
            ((set.values[n * set.stride + j] as number) - (mean[j] as number));
        }
        const sdj = Math.sqrt(cov[j]?.[j] as number);
        worstCov = Math.max(worstCov, Math.abs(s / (count - 1) - (cov[i]?.[j] as number)) / (sd * sdj));
      }
    }
    // Standard errors at 2*10^4 draws: 0.007 sd for a mean, <= 0.01 for a covariance in sd units.
    console.info(
      `[webgpu-vi] lowrank moments: worst mean error ${worstMean.toFixed(4)} sd, worst cov ${worstCov.toFixed(4)}`,
    );
    expect(worstMean).toBeLessThan(0.035);
    expect(worstCov).toBeLessThan(0.05);
    // log q (Stan's log_g for this family) at 50 draws, against a dense float64 Cholesky of Sigma.
    let worstLogQ = 0;
    for (let n = 0; n < 50; n++) {
      const z = Array.from({ length: D }, (_, i) => dens.values[n * dens.stride + i] as number);
      const expected = logQ(q, z);
      worstLogQ = Math.max(worstLogQ, Math.abs((dens.logG[n] as number) - expected));
      expect(dens.logP[n] as number).toBeCloseTo(logP(z), 3);
    }
    console.info(`[webgpu-vi] lowrank log q: worst error ${worstLogQ.toExponential(2)} at 50 draws`);
    expect(worstLogQ).toBeLessThan(2e-4);
  });

  it('its lambda-gradient is the gradient of the float64 fixed-sample ELBO (finite differences)', async () => {
    const samples = 64;
    const seed = 11;
    const engine = await ViEngine.create(
      ctx,
      gaussian,
      {},
      { family: 'lowrank', rank: K, samples, seed, optimizer: 'lbfgs' },
    );
    const lambda = someLambda(K);
    engine.writeLambda(lambda);
    let gpu: { value: number; grad: Float32Array } | undefined;
    await engine.runSteps(1, (metrics, view) => {
      const m = metrics[0];
      if (m && view)
        gpu = { value: m.parts.shift + m.parts.relative + m.parts.closed, grad: Float32Array.from(view) };
    });
    engine.destroy();
    if (!gpu) throw new Error('no evaluation came back');
    const noise = Array.from({ length: samples }, (_, s) => stepNoise(s, D, K, seed));
    const elbo = (x: Float64Array) => {
      const q = unpackLowRank(x, D, K);
      let s = 0;
      for (const { eps1, eps2 } of noise) s += logP(sample(q, eps1, eps2));
      return s / samples + entropy(q);
    };
    const x0 = Float64Array.from(lambda);
    console.info(`[webgpu-vi] lowrank ELBO on fixed samples: GPU ${gpu.value}, float64 ${elbo(x0)}`);
    // The GPU's f32 log and cos in Box-Muller (SwiftShader's approximations) move each normal by ~1e-5
    // relative, so the regenerated noise is common to ~1e-4 of the value, not to f32 rounding.
    expect(Math.abs(gpu.value - elbo(x0))).toBeLessThan(1e-3 * Math.abs(elbo(x0)));
    const w = vec4Count(D) * 4;
    const used = [
      ...Array.from({ length: D }, (_, i) => i),
      ...Array.from({ length: D }, (_, i) => w + i),
      ...Array.from({ length: D * K }, (_, n) => lowRankIndex(D, n % D, Math.floor(n / D))),
    ];
    let worst = 0;
    let scale = 0;
    for (const i of used) {
      const h = 1e-5;
      const up = Float64Array.from(x0);
      const down = Float64Array.from(x0);
      up[i] = (up[i] as number) + h;
      down[i] = (down[i] as number) - h;
      const fd = (elbo(up) - elbo(down)) / (2 * h);
      worst = Math.max(worst, Math.abs((gpu.grad[i] as number) - fd));
      scale = Math.max(scale, Math.abs(fd));
    }
    console.info(
      `[webgpu-vi] lowrank gradient: worst |GPU - finite difference| ${worst.toExponential(2)} (largest entry ${scale.toFixed(3)})`,
    );
    expect(scale).toBeGreaterThan(0.1);
    expect(worst).toBeLessThan(1e-3 * scale);
    // Padding lanes stay out of the gradient.
    for (let i = 0; i < gpu.grad.length; i++) if (!used.includes(i)) expect(gpu.grad[i]).toBe(0);
  });

  it.each(['lbfgs', 'adam'] as const)(
    'with K = D recovers the exact correlated Gaussian (%s)',
    async (optimizer) => {
      const engine = await ViEngine.create(
        ctx,
        gaussian,
        {},
        {
          family: 'lowrank',
          rank: D,
          optimizer,
          ...(optimizer === 'adam'
            ? { estimator: 'stl', lr: 0.02, maxSteps: 2500, tol: 1e-4 }
            : { maxSteps: 400 }),
          samples: 4096,
          draws: 20_000,
          diagnosticDraws: 1000,
        },
      );
      const result = await engine.fit();
      engine.destroy();
      const exact = inverse(PRECISION);
      const sd = exact.map((row, i) => Math.sqrt(row[i] as number));
      console.info(
        `[webgpu-vi] lowrank K = D (${optimizer}): ${result.message}; means ${result.lambda.mean.map((m) => m.toFixed(3)).join(', ')}; ` +
          `sds ${result.lambda.sd.map((s) => s.toFixed(3)).join(', ')} (exact ${sd.map((s) => s.toFixed(3)).join(', ')})`,
      );
      expect(result.converged).toBe(true);
      MEAN.forEach((m, i) => {
        expect(Math.abs((result.lambda.mean[i] as number) - m)).toBeLessThan(0.05 * (sd[i] as number));
        expect(Math.abs((result.lambda.sd[i] as number) / (sd[i] as number) - 1)).toBeLessThan(0.05);
      });
      // The correlations too: q's covariance against the exact one.
      const qCov = covariance(unpackLowRank(result.lambda.raw, D, D));
      for (let i = 0; i < D; i++) {
        for (let j = 0; j < i; j++) {
          const qCorr =
            (qCov[i]?.[j] as number) / Math.sqrt((qCov[i]?.[i] as number) * (qCov[j]?.[j] as number));
          const exactCorr = (exact[i]?.[j] as number) / ((sd[i] as number) * (sd[j] as number));
          expect(Math.abs(qCorr - exactCorr)).toBeLessThan(0.05);
        }
      }
    },
  );

  it('runs at D = 200, where full-rank refuses', async () => {
    const d = 200;
    const big = chainModel(d);
    await expect(ViEngine.create(ctx, big, {}, { family: 'fullrank' })).rejects.toThrow(
      /fullrank supports up to 32; use lowrank or meanfield/,
    );
    await expect(ViEngine.create(ctx, big, {}, { family: 'lowrank', rank: 33 })).rejects.toThrow(
      SettingsError,
    );
    // Past every family's limit the message says so, instead of naming families that refuse it too.
    await expect(ViEngine.create(ctx, chainModel(300), {}, { family: 'meanfield' })).rejects.toThrow(
      /supports D = 300, which none does yet \(meanfield supports up to 256; the largest is 256\)/,
    );
    const engine = await ViEngine.create(
      ctx,
      big,
      {},
      { family: 'lowrank', optimizer: 'adam', lr: 0.05, samples: 256 },
    );
    const values: number[] = [];
    await engine.runSteps(10, (batch) => void values.push(...batch.map((m) => m.elbo)));
    const lambda = await engine.readLambda();
    engine.destroy();
    console.info(`[webgpu-vi] lowrank D = 200 (rank 8): ELBO ${values[0]} -> ${values[values.length - 1]}`);
    expect(lambda.length).toBe((2 + 8) * 200);
    expect(values.every(Number.isFinite)).toBe(true);
    expect(values[values.length - 1] as number).toBeGreaterThan(values[0] as number);
  });
});
