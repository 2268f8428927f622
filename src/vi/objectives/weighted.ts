/**
 * The importance-weighted bound ("iw:K", Burda et al. 2016) and the Renyi-alpha bound ("renyi:ALPHA" or
 * "renyi:ALPHA:K", Li & Turner 2016), from groups of K consecutive samples reduced in the kernel
 * (shaders/objectives/weighted.wgsl).
 */
import weightedWgsl from '../../../shaders/objectives/weighted.wgsl?raw';
import type { FamilyDescriptor } from '../families/types';
import type { ObjectiveDescriptor } from './types';

/** The most samples per estimate. */
export const MAX_GROUP = 4096;
/** renyi's K when its argument gives only alpha. */
export const DEFAULT_RENYI_GROUP = 8;

const ESTIMATORS = [
  {
    name: 'entropy',
    summary:
      "the normalised importance weights times each draw's full reparameterisation gradient (needs a family whose entropy term is pathwise: not lowrank)",
  },
  {
    name: 'dreg',
    summary: 'doubly reparameterised (Tucker et al. 2019): squared weights, d/dz log q subtracted; Adam only',
    stochasticOnly: true,
  },
] as const;

function incompatibility(family: FamilyDescriptor, estimator: string): string | undefined {
  if (estimator === 'entropy' && family.entropyTerm === 'expected') {
    return `the ${family.name} family's entropy term is grad H[q], not each draw's own, which weighted draws need: use estimator "dreg"`;
  }
  if (estimator === 'dreg' && !family.hasScore) {
    return `the ${family.name} family has no score function (d/dz log q), which dreg needs`;
  }
  return undefined;
}

function groupFrom(text: string | undefined, fallback: number | undefined): number | undefined {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) return undefined;
  const k = Number(text);
  return k >= 1 && k <= MAX_GROUP ? k : undefined;
}

function weighted(
  name: string,
  boundName: string,
  title: string,
  alpha: number,
  group: number,
): ObjectiveDescriptor {
  return {
    name,
    title,
    usage: name === 'iw' ? 'iw:K' : 'renyi:ALPHA[:K]',
    wgsl: weightedWgsl,
    estimators: ESTIMATORS,
    boundName,
    valueBlocks: 1,
    group,
    constants: (estimator) => ({
      OBJECTIVE_GROUP: group,
      WEIGHTED_ALPHA: { type: 'f32', value: alpha },
      WEIGHTED_DREG: estimator === 'dreg',
    }),
    incompatibility,
  };
}

export const IW: ObjectiveDescriptor = {
  ...weighted('iw', 'IW bound', 'importance-weighted bound, K draws per estimate (Burda et al. 2016)', 0, 1),
  configure(argument) {
    const k = groupFrom(argument, undefined);
    if (k === undefined) return `"iw:K" with K an integer in [1, ${MAX_GROUP}]`;
    return weighted('iw', `IW bound (K = ${k})`, `importance-weighted bound, K = ${k}`, 0, k);
  },
};

export const RENYI: ObjectiveDescriptor = {
  ...weighted(
    'renyi',
    'Renyi bound',
    `Renyi-alpha bound, K draws per estimate (Li & Turner 2016; K = ${DEFAULT_RENYI_GROUP} unless given)`,
    0.5,
    DEFAULT_RENYI_GROUP,
  ),
  configure(argument) {
    const [alphaText, groupText, ...rest] = (argument ?? '').split(':');
    const alpha = alphaText === undefined || alphaText.trim() === '' ? Number.NaN : Number(alphaText);
    const k = groupFrom(groupText, DEFAULT_RENYI_GROUP);
    if (!Number.isFinite(alpha) || alpha === 1 || k === undefined || rest.length > 0) {
      return `"renyi:ALPHA" or "renyi:ALPHA:K" with ALPHA a finite number other than 1 (alpha = 1 is "kl") and K an integer in [1, ${MAX_GROUP}]`;
    }
    return weighted(
      'renyi',
      `Renyi bound (alpha = ${alpha}, K = ${k})`,
      `Renyi-alpha bound, alpha = ${alpha}, K = ${k}`,
      alpha,
      k,
    );
  },
};
