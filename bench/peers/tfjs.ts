/**
 * TensorFlow.js's runner: one job (bench/protocol.ts) on stdin, one JSON line out. The same ELBO as
 * webgpu-vi's (mean-field Gaussian, reparameterisation, closed-form entropy), written as tfjs is used:
 * the Monte Carlo batch as one tensor, gradients by tfjs's autodiff (tf.variableGrads), tf.train.adam.
 * Backend "webgpu": @tensorflow/tfjs-backend-webgpu on Dawn, through the same adapter as webgpu-vi (Node has
 * no navigator.gpu: we give it Dawn's GPU object before the backend is loaded). Backend "cpu": tfjs's
 * pure-JS CPU backend (tfjs-node, the native one, downloads a binary at install and is not used).
 * A repetition is K steps followed by a read of the parameters, so all queued GPU work is counted.
 *   npx vite-node bench/peers/tfjs.ts < job.json
 */
import type * as TF from '@tensorflow/tfjs';
import { readInt, readMatrix, readReal, readVector } from '../../src/models/data';
import {
  finish,
  median,
  peakRssMB,
  readJob,
  reportedMeans,
  stepsPerRep,
  convergeLoop,
  type ConvergeResult,
  type Job,
} from '../protocol';

const job: Job = readJob();
const backendName = job.backend ?? 'webgpu';
let adapter = '';
if (backendName === 'webgpu') {
  const { createDawnGpu } = await import('../../src/gpu/dawn');
  const { gpu } = createDawnGpu();
  Object.defineProperty(globalThis, 'navigator', {
    value: { gpu, userAgent: `Node.js/${process.version}` },
    configurable: true,
    writable: true,
  });
  const found = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  adapter = found ? `${found.info.vendor} ${found.info.architecture} (${found.info.description})` : '';
  await import('@tensorflow/tfjs-backend-webgpu');
}
const tf: typeof TF = await import('@tensorflow/tfjs');
const setupStart = performance.now();
if (!(await tf.setBackend(backendName))) throw new Error(`tfjs backend "${backendName}" did not start`);
await tf.ready();

type LogJoint = (z: TF.Tensor2D) => TF.Tensor1D;

/** log p(x, z) per sample (constants dropped: they do not change the gradient), for z of shape (S, D). */
function prepare(): { dimension: number; logJoint: LogJoint } {
  const data = job.data;
  if (job.model === 'normal-mean') {
    const n = readInt(data, 'N', { min: 1 });
    const y = readVector(data, 'y', n, 'N');
    const sigma = readReal(data, 'sigma');
    const mu0 = readReal(data, 'mu0');
    const tau0 = readReal(data, 'tau0');
    // Sufficient statistics, as shaders/models/normal_mean.wgsl: O(1) per sample.
    const ybar = y.reduce((a, b) => a + b, 0) / n;
    const ss = y.reduce((a, b) => a + (b - ybar) ** 2, 0);
    return {
      dimension: 1,
      logJoint: (z) => {
        const x = z.reshape([-1]) as TF.Tensor1D;
        const prior = x.sub(mu0).div(tau0).square().mul(-0.5);
        const lik = tf
          .scalar(ybar)
          .sub(x)
          .square()
          .mul(n)
          .add(ss)
          .mul(-0.5 / sigma ** 2);
        return prior.add(lik);
      },
    };
  }
  if (job.model === 'logistic') {
    const n = readInt(data, 'N', { min: 1 });
    const d = readInt(data, 'D', { min: 1 });
    const x = tf.tensor2d(Float32Array.from(readMatrix(data, 'X', n, d, ['N', 'D'])), [n, d]);
    const y = tf.tensor1d(Float32Array.from(readVector(data, 'y', n, 'N')));
    const priorVar = readReal(data, 'prior_sd') ** 2;
    return {
      dimension: d,
      logJoint: (z) => {
        const eta = tf.matMul(z, x, false, true); // (S, N)
        const lik = eta.mul(y).sub(tf.softplus(eta)).sum(1);
        return lik.sub(
          z
            .square()
            .sum(1)
            .mul(0.5 / priorVar),
        ) as TF.Tensor1D;
      },
    };
  }
  // hmm: Stan's transforms, then the forward algorithm in log space over the two states, vectorised over S.
  const ys = Array.from(readVector(data, 'y', readInt(data, 'N', { min: 1 }), 'N'));
  return {
    dimension: 4,
    logJoint: (z) => {
      // logP[s, j, k] = log P(k | j): row j is (inv_logit(z_j), inv_logit(-z_j)) for j = 0, 1.
      const zt = z.slice([0, 0], [-1, 2]);
      // log inv_logit(x) = -softplus(-x) (tf.logSigmoid's gradient reads a disposed tensor in tfjs 4.22).
      const logP = tf.stack([tf.softplus(zt.mul(-1)).mul(-1), tf.softplus(zt).mul(-1)], 2);
      const z2 = z.slice([0, 2], [-1, 1]).reshape([-1]);
      const z3 = z.slice([0, 3], [-1, 1]).reshape([-1]);
      const mu1 = tf.exp(z2);
      const mu = tf.stack([mu1, mu1.add(tf.exp(z3))], 1); // (S, 2)
      const emit = (y: number): TF.Tensor => mu.sub(y).square().mul(-0.5);
      let gamma = emit(ys[0] as number);
      for (const y of ys.slice(1)) {
        gamma = tf.logSumExp(gamma.expandDims(2).add(logP), 1).add(emit(y));
      }
      const prior = mu
        .sub(tf.tensor1d([3, 10]))
        .square()
        .sum(1)
        .mul(-0.5);
      const jacobian = logP.sum([1, 2]).add(z2).add(z3);
      return tf.logSumExp(gamma, 1).add(prior).add(jacobian) as TF.Tensor1D;
    },
  };
}

const { dimension, logJoint } = prepare();
const S = job.samples;
const chunk = Math.min(S, job.chunk || S);
let mu = tf.variable(tf.zeros([dimension]), true, 'mu');
let omega = tf.variable(tf.zeros([dimension]), true, 'omega');
let optimizer = tf.train.adam(job.lr, 0.9, 0.999, 1e-8);

/** -ELBO's share from n samples: -(sum_s log p(z_s)) / S - (entropy: sum omega) * n / S. */
function chunkLoss(n: number): TF.Scalar {
  const eps = tf.randomNormal([n, dimension]);
  const z = mu.add(tf.exp(omega).mul(eps)) as TF.Tensor2D;
  return logJoint(z)
    .sum()
    .div(S)
    .add(omega.sum().mul(n / S))
    .neg() as TF.Scalar;
}

function step(): void {
  if (chunk === S) {
    optimizer.minimize(() => chunkLoss(S), false, [mu, omega]);
    return;
  }
  const total: TF.NamedTensorMap = {};
  for (let start = 0; start < S; start += chunk) {
    const { grads } = tf.variableGrads(() => chunkLoss(Math.min(chunk, S - start)), [mu, omega]);
    for (const [name, g] of Object.entries(grads)) {
      const previous = total[name];
      total[name] = previous ? tf.tidy(() => previous.add(g)) : g;
      if (previous) {
        previous.dispose();
        g.dispose();
      }
    }
  }
  optimizer.applyGradients(Object.entries(total).map(([name, tensor]) => ({ name, tensor })));
  Object.values(total).forEach((g) => g.dispose());
}

async function means(): Promise<number[]> {
  const m = Array.from(await mu.data());
  const sd = Array.from(await omega.data()).map(Math.exp);
  return reportedMeans(job.model, m, sd);
}

async function timeSteps(k: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < k; i++) step();
  await mu.data(); // waits for the queued work
  return (performance.now() - start) / k;
}

// Warm-up: the first step compiles (WebGPU: shaders); the second gives the pace.
await timeSteps(1);
const warm = await timeSteps(1);
const setupSeconds = (performance.now() - setupStart) / 1000;
const k = stepsPerRep(job, warm);
const times: number[] = [];
for (let r = 0; r < job.reps; r++) times.push(await timeSteps(k));
const finalMeans = await means();

let converge: ConvergeResult | undefined;
if (job.converge) {
  // Fresh variables and optimizer, then steps until the means are close.
  [mu, omega].forEach((v) => v.dispose());
  optimizer.dispose();
  mu = tf.variable(tf.zeros([dimension]), true, 'mu0');
  omega = tf.variable(tf.zeros([dimension]), true, 'omega0');
  optimizer = tf.train.adam(job.lr, 0.9, 0.999, 1e-8);
  converge = await convergeLoop(
    job.converge,
    (steps) => {
      for (let i = 0; i < steps; i++) step();
    },
    means,
  );
}

const msPerStep = median(times);
await finish({
  system: 'tfjs',
  samplesPerSecond: (S * 1000) / msPerStep,
  msPerStep,
  peakMemoryMB: peakRssMB(),
  times: times.sort((a, b) => a - b),
  stepsPerRep: k,
  mean: finalMeans,
  backend: `tfjs ${tf.version.tfjs} ${tf.getBackend()}${adapter ? ` on ${adapter}` : ''}`,
  setupSeconds,
  ...(converge ? { converge } : {}),
  ...(chunk < S ? { note: `${chunk} samples per chunk` } : {}),
});
