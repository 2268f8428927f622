/**
 * Restarts (settings.restarts): where each of K fits starts, and which one the result reports. The K fits
 * advance together on the GPU (program.ts gives each a slot of every buffer); this module holds the host's
 * part of the policy, and nothing here touches the GPU.
 */
import type { FamilyDescriptor } from './families/types';

/** Restart k > 0 starts with each mean uniform on (-START_RADIUS, START_RADIUS), as Stan draws inits. */
export const START_RADIUS = 2;

/**
 * A uniform (0, 1) stream for restart k of a fit with this seed: mulberry32 on a hash of (seed, k). The
 * starts need only be reproducible and spread out, not of GPU quality.
 */
function startStream(seed: number, restart: number): () => number {
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
 * lambda at the start of restart `restart`: the family's initial lambda, and for restart > 0 its means (the
 * first D values of lambda in every family's layout: mu's DV blocks come first) drawn uniform(-2, 2) from
 * the seed; the scales stay the family's initial ones.
 */
export function restartStart(
  family: FamilyDescriptor,
  dimension: number,
  seed: number,
  restart: number,
): Float32Array {
  const lambda = family.initial(dimension);
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
