/**
 * Restarts (settings.restarts): where each of K fits starts, which one the result reports, and how their
 * draws are pooled (settings.pool). The K fits advance together on the GPU (program.ts gives each a slot of
 * every buffer); this module holds the host's part of the policy, and nothing here touches the GPU.
 */
import { readKhat, type KhatLevel } from './diagnostics/khat-reading';
import { psis, type KhatStatus } from './diagnostics/psis';
import type { FamilyDescriptor } from './families/types';
import type { DensityDrawSet } from './result';

/** Restart k > 0 starts with each mean uniform on (-START_RADIUS, START_RADIUS), as Stan draws inits. */
export const START_RADIUS = 2;

/**
 * A uniform (0, 1) stream for restart k of a fit with this seed: mulberry32 on a hash of (seed, k). The
 * starts need only be reproducible and spread out, not of GPU quality.
 */
export function startStream(seed: number, restart: number): () => number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ Math.floor(seed / 2 ** 32) ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ restart ^ (h >>> 16), 0x27d4eb2f) >>> 0;
  return () => {
    h = (h + 0x6d2b79f5) >>> 0;
    let t = h;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 2 ** 32;
  };
}

/**
 * lambda at the start of restart `restart`: the family's initial lambda (with sds `scale`), and for restart > 0
 * its means (the first D values of lambda in every family's layout: mu's DV blocks come first) drawn
 * uniform(-2, 2) from the seed; the scales stay the family's initial ones.
 */
export function restartStart(
  family: FamilyDescriptor,
  dimension: number,
  seed: number,
  restart: number,
  scale = 1,
): Float32Array {
  const lambda = family.initial(dimension, scale);
  if (restart === 0) return lambda;
  const uniform = startStream(seed, restart);
  for (let i = 0; i < dimension; i++) lambda[i] = START_RADIUS * (2 * uniform() - 1);
  return lambda;
}

/** What the pooled answer needs of each restart. */
export interface RestartStanding {
  /** The last finite ELBO (NaN when there is none). */
  readonly final: number;
  readonly diverged: boolean;
}

/**
 * The restart the result reports: the best final ELBO among those that did not diverge (among all when
 * every one did; NaN finals never win); ties go to the lowest index, so restart 0 wins when the others found nothing better.
 */
export function bestRestart(restarts: readonly RestartStanding[]): number {
  const pool = restarts.map((r, k) => ({ ...r, k })).filter((r) => Number.isFinite(r.final));
  const healthy = pool.filter((r) => !r.diverged);
  const candidates = healthy.length > 0 ? healthy : pool;
  if (candidates.length === 0) return 0;
  return candidates.reduce((a, b) => (b.final > a.final ? b : a)).k;
}

/**
 * How the summary and the draws pool the restarts (settings.pool): "best", the restart with the best final
 * ELBO alone; "resample", importance resampling over every restart's draws, as multi-path Pathfinder pools
 * its paths (see poolByResampling).
 */
export const POOL_METHODS = ['best', 'resample'] as const;
export type PoolMethod = (typeof POOL_METHODS)[number];

/** The uniform stream of the resampling: a stream number no restart's start uses (those are 1 .. 15). */
const POOL_STREAM = 0x706f6f6c;

/**
 * `count` indices drawn with replacement from a pool with these (log, unnormalised) weights: multinomial
 * resampling, each index by binary search of one uniform of a stream keyed by `seed` in the cumulative
 * weights. The uniforms come one per index in order, so a shorter resample is a prefix of a longer one with
 * the same seed. A weight of exp(-Inf) = 0 (or NaN, taken as 0) is never drawn; throws when all are 0.
 */
export function resampleIndices(logWeights: ArrayLike<number>, count: number, seed: number): Uint32Array {
  const n = logWeights.length;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const v = logWeights[i] as number;
    if (v > max) max = v;
  }
  if (!Number.isFinite(max)) throw new RangeError('resampleIndices: no draw has a finite positive weight');
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = logWeights[i] as number;
    total += v > Number.NEGATIVE_INFINITY ? Math.exp(v - max) : 0;
    cumulative[i] = total;
  }
  const uniform = startStream(seed, POOL_STREAM);
  const out = new Uint32Array(count);
  for (let j = 0; j < count; j++) {
    const target = uniform() * total;
    // The first index whose cumulative weight exceeds the target: a zero weight never does.
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] as number) > target) hi = mid;
      else lo = mid + 1;
    }
    out[j] = lo;
  }
  return out;
}

/** What pooling by importance resampling found (FitResult.pooled). */
export interface PooledResampling {
  readonly method: 'resample';
  /** The pool: draws from every restart (restart k's draws are pool rows k * perRestart ... ). */
  readonly poolDraws: number;
  readonly perRestart: number;
  /** The PSIS k-hat of the pooled log weights, its status and reading (src/vi/diagnostics). */
  readonly khat: number;
  readonly status: KhatStatus;
  readonly level: KhatLevel;
  /** The ESS of the pooled smoothed weights (of poolDraws). */
  readonly ess: number;
  /** Each restart's share of the smoothed weight, summing to 1: the mass the resample gives its q. */
  readonly restartWeights: number[];
  /** Draws resampled (settings.draws) and how many distinct pool rows they hold. */
  readonly draws: number;
  readonly distinct: number;
}

/**
 * Pools restarts by importance resampling, as multi-path Pathfinder does (Zhang, Carpenter, Gelman & Vehtari
 * 2022; Stan's pathfinder with psis_resample): restart k's draws z ~ q_k carry log w = log p(z) - log q_k(z),
 * the log ratio under their OWN restart's q; the K pools' log weights are Pareto-smoothed together (psis) and
 * `count` draws are resampled with replacement from the smoothed weights, seeded by `seed`. So a restart
 * whose q sits where p has little mass (a minor mode, a saddle) gets little weight; but every restart
 * counts as one equal part of the proposal, so a mode found by n of the K restarts gets n times its share
 * (its mass in p times n, over the same for the other modes): masses are right when the modes were found
 * equally often (README, Restarts). `logRatios[k]` holds restart k's log ratios (all of one length).
 */
export function poolByResampling(
  logRatios: readonly ArrayLike<number>[],
  count: number,
  seed: number,
): { indices: Uint32Array | undefined; logWeights: Float64Array; report: PooledResampling } {
  const perRestart = logRatios[0]?.length ?? 0;
  if (logRatios.some((r) => r.length !== perRestart)) {
    throw new RangeError('poolByResampling: every restart needs the same number of draws');
  }
  const pool = new Float64Array(perRestart * logRatios.length);
  logRatios.forEach((r, k) => {
    for (let i = 0; i < perRestart; i++) pool[k * perRestart + i] = r[i] as number;
  });
  const smoothed = psis(pool);
  const restartWeights = logRatios.map((_, k) => {
    let share = 0;
    for (let i = 0; i < perRestart; i++) {
      const lw = smoothed.logWeights[k * perRestart + i] as number;
      if (lw > Number.NEGATIVE_INFINITY) share += Math.exp(lw);
    }
    return share;
  });
  const usable = smoothed.status !== 'no-finite-draws';
  const indices = usable ? resampleIndices(smoothed.logWeights, count, seed) : undefined;
  const distinct = indices ? new Set(indices).size : 0;
  return {
    indices,
    logWeights: smoothed.logWeights,
    report: {
      method: 'resample',
      poolDraws: pool.length,
      perRestart,
      khat: smoothed.khat,
      status: smoothed.status,
      level: readKhat(smoothed.khat, smoothed.status).level,
      ess: smoothed.ess,
      restartWeights: usable ? restartWeights : restartWeights.map(() => Number.NaN),
      draws: indices ? count : 0,
      distinct,
    },
  };
}

/**
 * The rows `indices` of the pool (restart k's draw i is pool row k * perRestart + i) as one draw set, with
 * their log densities; the mean row is `meanRow`'s (the reported restart's q, as Stan's CSV wants one).
 */
export function gatherPooledDraws(
  sets: readonly DensityDrawSet[],
  indices: Uint32Array,
  meanRow: Float32Array,
): DensityDrawSet {
  const first = sets[0];
  if (!first) throw new RangeError('gatherPooledDraws: no restart to pool');
  const { stride, count: perRestart } = first;
  const count = indices.length;
  const values = new Float32Array(count * stride);
  const lanes = {
    logP: new Float32Array(count),
    logG: new Float32Array(count),
    logQ: new Float32Array(count),
    logRatio: new Float32Array(count),
  };
  indices.forEach((row, j) => {
    const set = sets[Math.floor(row / perRestart)] as DensityDrawSet;
    const i = row % perRestart;
    values.set(set.values.subarray(i * stride, (i + 1) * stride), j * stride);
    for (const lane of ['logP', 'logG', 'logQ', 'logRatio'] as const) {
      lanes[lane][j] = set[lane][i] as number;
    }
  });
  return { names: [...first.names], count, stride, values, ...lanes, meanRow };
}
