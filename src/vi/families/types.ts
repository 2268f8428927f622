/**
 * A variational family q(z; lambda): its WGSL (the module bound to "family"; the contract is in
 * shaders/families/meanfield.wgsl's header) and what the host needs to know about it.
 */
import type { WgslConstant } from '../../gpu/wgsl';
import { vec4Count } from '../../models/types';

export interface FamilyDescriptor {
  /** The name settings, the CLI (--family) and the page use. */
  readonly name: string;
  /** A short human name, e.g. "Mean-field Gaussian". */
  readonly title: string;
  /** The WGSL module source, composed into every kernel under the name "family". */
  readonly wgsl: string;
  /** Largest latent dimension the family supports (its per-thread accumulators grow with it). */
  readonly maxDimension: number;
  /** It supplies family_score (d/dz log q), so the STL estimator can be used with it. */
  readonly hasScore: boolean;
  /** family_entropy() is H[q] in closed form (FAMILY_HAS_ENTROPY in WGSL). */
  readonly closedFormEntropy: boolean;
  /** vec4 blocks of lambda (FAMILY_PV in WGSL) for latent dimension D. */
  blocks(dimension: number): number;
  /** vec4 blocks of base noise per sample (FAMILY_EV in WGSL); default ceil(D / 4). */
  noiseBlocks?(dimension: number): number;
  /** Extra compile-time constants its WGSL needs (beyond D, DV and the FAMILY_* ones). */
  constants?(dimension: number): Readonly<Record<string, WgslConstant>>;
  /**
   * lambda at the start of a fit (the GPU layout): q centred at z = 0 with marginal sds `scale` (1 when
   * omitted). The L-BFGS fit narrows the scale when the bound is not finite there (src/vi/fit-host.ts).
   */
  initial(dimension: number, scale?: number): Float32Array;
  /**
   * H[q] in closed form, in float64, from lambda (when closedFormEntropy): the host L-BFGS adds it to the
   * Monte Carlo part, so that values at nearby points differ at float64 rather than f32 precision.
   */
  entropy?(lambda: Float64Array, dimension: number): number;
  /** The mean and marginal sds of q on the unconstrained space, from lambda. */
  marginals(lambda: Float32Array, dimension: number): { mean: number[]; sd: number[] };
  /**
   * An approximation of the inverse Hessian of -ELBO at lambda, as a function applied to a vector in lambda's
   * layout: the starting matrix of L-BFGS (src/vi/fit-host.ts). For a Gaussian posterior, near the optimum
   * q's own covariance is the inverse Hessian for its means, which makes the method indifferent to how
   * correlated the posterior is. Must be symmetric positive definite (zero on unused lanes is fine).
   */
  precondition?(lambda: Float64Array, dimension: number): (v: Float64Array) => Float64Array;
  /**
   * What a draw's log_g__ is in the Stan CSV (src/vi/diagnostics): 'standard-normal' is Stan's own
   * definition for its Gaussian families, -0.5 * sum(eps^2) of the N(0, I) noise with z = T(eps) affine,
   * i.e. log q(z) up to a constant; 'log-q' (the default, for any other family) is log q(z) itself, from
   * family_log_q. Either way log_p__ - log_g__ is the log importance ratio up to one constant.
   */
  readonly stanLogG?: 'standard-normal' | 'log-q';
  /**
   * What family_vjp's entropy term is: 'pathwise' (the default) this sample's own d/dlambda of
   * -log q(T_lambda(eps)), as for an invertible T (then it is grad H[q] for an affine T); 'expected' grad H[q]
   * itself, which is that term's expectation but not the term (a T that is not invertible, e.g. lowrank's).
   * An objective that weights samples unequally (iw, renyi) needs the pathwise term for its plain estimator.
   */
  readonly entropyTerm?: 'pathwise' | 'expected';
  /**
   * The settings that shape the family (e.g. lowrank's rank), resolved once D is known: returns the
   * descriptor the engine uses, or the setting that does not fit and what was expected of it (the engine
   * reports it as a SettingsError).
   */
  configure?(options: FamilyOptions, dimension: number): FamilyDescriptor | FamilyOptionProblem;
  /** The FamilyOptions configure reads (the page enables only those fields for the family). */
  readonly options?: readonly (keyof FamilyOptions)[];
}

export interface FamilyOptionProblem {
  readonly setting: keyof FamilyOptions;
  readonly expected: string;
}

/** The fit settings a family may read in configure (settings.ts validates their types). */
export interface FamilyOptions {
  /** lowrank: columns of B, or "auto" (min(D, 8)). */
  readonly rank: number | 'auto';
  /** flow: coupling layers. */
  readonly flowLayers: number;
  /** flow: tanh units in each coupling layer's hidden layer. */
  readonly flowHidden: number;
}

/** The compile-time constants every kernel that includes the family gets. */
export function familyConstants(family: FamilyDescriptor, dimension: number): Record<string, WgslConstant> {
  return {
    FAMILY_PV: family.blocks(dimension),
    FAMILY_EV: family.noiseBlocks?.(dimension) ?? vec4Count(dimension),
    FAMILY_HAS_ENTROPY: family.closedFormEntropy,
    ...family.constants?.(dimension),
  };
}
