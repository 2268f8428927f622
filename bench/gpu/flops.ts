/**
 * Operations per Monte Carlo sample of each GPU-bench workload, counted by hand from the WGSL a GPU runs
 * (MODEL_BATCH = 1, the mean-field family, the KL objective with the closed-form entropy), and the formula
 * that turns an achieved samples/s into a fraction of a GPU's FP32 peak. BENCHMARKS.md ("Real GPU") prints
 * the same table; keep the two in step.
 *
 * Counting rules (per sample, per thread, as the hardware executes it):
 *   - a vecN operation counts N (a GPU runs vec4 arithmetic as four scalar instructions); padding lanes count,
 *     since they execute;
 *   - FP32: add, sub, mul, min, max 1; a multiply feeding an add (fused into an FMA) 2; dot(vec4, vec4) 7,
 *     dot(v, vec4(1)) 3; a / b is 1 (the multiply by the reciprocal) plus 1 SFU op (the reciprocal);
 *     exp and log are 1 (the scaling by log2(e) or ln 2) plus 1 SFU op; sin, cos and sqrt likewise;
 *   - SFU: the special-function unit's reciprocal, exp2, log2, sin, cos, rsqrt (a separate, slower pipe);
 *   - INT32: each u32 add, mul, and, xor, shift, and each u32 -> f32 conversion; Philox's 32 x 32 -> 64-bit
 *     products are written in 16-bit halves (WGSL has no mul-hi), 18 operations each;
 *   - not counted: abs and negation (free source modifiers), select and comparisons, loop and index
 *     arithmetic, work on constants the compiler folds, and everything done once per thread or per step
 *     rather than per sample (family_load, the workgroup sums, elbo_finalize: the fixed cost of a step);
 *   - loads: bytes of storage reads per sample (for logistic every thread reads the same addresses at the
 *     same time: broadcasts from the cache, not DRAM traffic).
 */

export interface Ops {
  readonly fp32: number;
  readonly sfu: number;
  readonly int32: number;
  readonly loadBytes: number;
}

const ops = (fp32: number, sfu = 0, int32 = 0, loadBytes = 0): Ops => ({ fp32, sfu, int32, loadBytes });

const add = (...parts: Ops[]): Ops =>
  parts.reduce(
    (a, b) => ops(a.fp32 + b.fp32, a.sfu + b.sfu, a.int32 + b.int32, a.loadBytes + b.loadBytes),
    ops(0),
  );
const times = (n: number, o: Ops): Ops => ops(n * o.fp32, n * o.sfu, n * o.int32, n * o.loadBytes);

/**
 * rng/philox.wgsl, philox_normal4 (one per vec4 block of noise): philox4x32_10 is 10 rounds of two mulhilo
 * (18 INT32 each: the constant factor's halves fold) and 4 xors, plus 9 key bumps of 2 adds: 418 INT32;
 * philox_uniform4: 4 x (shift, convert, +0.5, x 2^-23): 8 FP32, 8 INT32; two Box-Muller pairs, each
 * log, x -2, sqrt, x 2 pi, cos, sin, 2 products: 8 FP32 and 4 SFU.
 */
export const RNG_PER_BLOCK: Ops = ops(8 + 2 * 8, 2 * 4, 418 + 8);

/**
 * families/meanfield.wgsl per vec4 block: family_sample (eps x mask 4, z = mu + sigma eps 4 FMA) 12;
 * family_vjp with the entropy estimator (weight 1 folds to the mask): acc += g 4, g x eps 4,
 * (.) x sigma + mask 4 FMA, acc += 4: 20.
 */
export const MEANFIELD_PER_BLOCK: Ops = ops(12 + 20);

/** objectives/kl.wgsl per sample: f - shift 1, its square into the FMA 2, the vec4 add of 3 more lanes. */
export const KL_PER_SAMPLE: Ops = ops(6);

export type GpuWorkloadName = 'logistic-N1000-D10' | 'normal-mean' | 'hmm' | 'eight-schools';

export interface ModelOps {
  /** vec4 blocks of z (DV): the RNG and the family run once per block. */
  readonly blocks: number;
  readonly model: Ops;
  /** How the model's count was made, from its WGSL. */
  readonly derivation: string;
}

/** logistic.wgsl with N = 1000 (250 groups of four rows), D = 10, MODEL_BATCH = 1. */
const LOGISTIC_GROUPS = 250;
const LOGISTIC_D = 10;
const logisticGroup = add(
  ops(8 * LOGISTIC_D), // u += x_d * beta_d: D vec4 FMAs
  // logistic_terms: exp(-|u|) 4 + 4 SFU, 1 + e 4, max(-u, 0) and the subtraction 8, the product of the four
  // (1 + e) 3, one log 1 + 1 SFU, its subtraction 1, / (1 + e) 4 + 4 SFU.
  ops(4 + 4 + 8 + 3 + 1 + 1 + 4, 4 + 1 + 4),
  ops(8 * LOGISTIC_D), // acc_d += dot(w, x_d): dot 7 + 1
  ops(0, 0, 0, 16 * LOGISTIC_D), // the group's D vec4 loads
);
// After the loop: prior_ss += beta^2 and grad = acc - ipv beta (2 FMAs per d), then lp (7).
const logisticTail = ops(4 * LOGISTIC_D + 7, 0, 0, 16);

/** hmm.wgsl with N = 100 (99 forward steps after the first). */
const HMM_N = 100;
const hmmSetup = ops(8 + 2 + 2 + 1, 4 + 2); // two inv_logit pairs (4 + 2 SFU each), dp 2, exp(z2), exp(z3), mu
const hmmFirst = ops(51, 4, 0, 4); // t = 1: dev 2, le 4, m 1, u 4 + 2 SFU, du 2, c 1, 1/c 1 + 1 SFU, dc 4, alpha 2, da 24, lp 2 + 1 SFU, glp 4
// One forward step: dev 2, le 4, m 1, u 4 + 2 SFU, pred 6, dp_alpha 4, dpred 32, un 2, du 18, c 1, 1/c 1 + 1 SFU,
// dc 4, alpha 2, da 24, lp 3 + 1 SFU, glp 8.
const hmmStep = ops(116, 4, 0, 4);
const hmmTail = ops(33, 4); // prior, two simplex Jacobians (5 + 2 SFU each), the gradient

/** eight_schools.wgsl with J = 8 (D = 10, 3 blocks). */
const EIGHT_SCHOOLS_BLOCKS = 3;
// tau = exp(u) 1 + 1 SFU, w 2, the log1p branch 6 + 3 SFU, lp 5, g_mu 1, g_u 2.
const eightSchoolsHead = ops(17, 4, 0, 4);
// Per block: t 4, e 16, r 4, lp 17, g_mu 4, g_u 9, grad 8; y and 1 / sigma loaded.
const eightSchoolsBlock = ops(62, 0, 0, 32);

export const MODEL_OPS: Readonly<Record<GpuWorkloadName, ModelOps>> = {
  'logistic-N1000-D10': {
    blocks: 3,
    model: add(times(LOGISTIC_GROUPS, logisticGroup), logisticTail),
    derivation: '250 groups x (80 + 25 + 80 FP32, 9 SFU, 160 B) + 47 FP32 after the loop',
  },
  'normal-mean': {
    blocks: 1,
    // prior_dev 2 + 1 SFU, mean_dev 1, 1 / sigma^2 2 + 1 SFU, the gradient 4 + 1 SFU, lp 9; 32 B of statistics.
    model: ops(18, 3, 0, 32),
    derivation: 'sufficient statistics: O(1) per sample',
  },
  hmm: {
    blocks: 1,
    model: add(hmmSetup, hmmFirst, times(HMM_N - 1, hmmStep), hmmTail),
    derivation: '13 + 51 + 99 forward steps x (116 FP32, 4 SFU) + 33',
  },
  'eight-schools': {
    blocks: EIGHT_SCHOOLS_BLOCKS,
    model: add(eightSchoolsHead, times(EIGHT_SCHOOLS_BLOCKS, eightSchoolsBlock)),
    derivation: '17 + 3 blocks x 62 FP32',
  },
};

export interface SampleOps {
  readonly rng: Ops;
  readonly family: Ops;
  readonly objective: Ops;
  readonly model: Ops;
  readonly total: Ops;
}

/** Everything one sample costs: the RNG and the family per block, the objective, the model. */
export function sampleOps(workload: GpuWorkloadName): SampleOps {
  const { blocks, model } = MODEL_OPS[workload];
  const rng = times(blocks, RNG_PER_BLOCK);
  const family = times(blocks, MEANFIELD_PER_BLOCK);
  return { rng, family, objective: KL_PER_SAMPLE, model, total: add(rng, family, KL_PER_SAMPLE, model) };
}

export interface GpuPeak {
  readonly name: string;
  readonly sms: number;
  /** The SM clock the peak assumes (boost), MHz. */
  readonly clockMHz: number;
  /** FP32 lanes per SM (each retires one FMA, 2 FLOP, per clock). */
  readonly fp32LanesPerSm: number;
}

/** Hopper: 132 SMs (H100 SXM5 and H200), 114 (H100 PCIe); 128 FP32 lanes per SM. */
export const GPU_PEAKS: readonly GpuPeak[] = [
  { name: 'H100 SXM5 / H200', sms: 132, clockMHz: 1980, fp32LanesPerSm: 128 },
  { name: 'H100 PCIe', sms: 114, clockMHz: 1755, fp32LanesPerSm: 128 },
];

/** FP32 peak in FLOP/s: 2 x lanes per SM x SMs x clock (66.9 TFLOP/s for an H100 SXM5 or an H200). */
export function fp32PeakFlops(gpu: GpuPeak, clockMHz = gpu.clockMHz): number {
  return 2 * gpu.fp32LanesPerSm * gpu.sms * clockMHz * 1e6;
}

/** The fraction of `peakFlops` that `samplesPerSecond` of `workload` achieves: samples/s x FP32 per sample / peak. */
export function fractionOfPeak(
  workload: GpuWorkloadName,
  samplesPerSecond: number,
  peakFlops: number,
): number {
  return (samplesPerSecond * sampleOps(workload).total.fp32) / peakFlops;
}

/**
 * The WGSL modules the counts above were made from, with an FNV-1a hash of each one's text at the time: when
 * one changes, the counts may be stale and the bench says so (recount, then update the hash).
 */
export const COUNTED_FROM: Readonly<Record<string, string>> = {
  'rng/philox': 'e69f5f8e',
  'families/meanfield': '5576340b',
  'objectives/kl': '9adcf68a',
  'kernels/elbo_step': '407b853b',
  'kernels/model_batch': '79adf923',
  'models/logistic': 'be96d321',
  'models/normal_mean': '71746688',
  'models/hmm': '7e56ceeb',
  'models/eight_schools': '79f8eb12',
};

export function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** The modules of COUNTED_FROM whose text in `library` (module name -> WGSL) differs from what was counted. */
export function staleCounts(library: Readonly<Record<string, string>>): string[] {
  return Object.entries(COUNTED_FROM)
    .filter(([module, hash]) => fnv1a(library[module] ?? '') !== hash)
    .map(([module]) => module);
}
