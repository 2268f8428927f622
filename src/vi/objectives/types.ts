/**
 * An objective: the bound a fit maximises and how its per-sample terms combine into a value and a gradient.
 * Its WGSL is the module bound to "objective" (the contract is in shaders/objectives/kl.wgsl's header).
 */
import type { WgslConstant } from '../../gpu/wgsl';
import type { FamilyDescriptor } from '../families/types';

export interface ObjectiveDescriptor {
  readonly name: string;
  readonly title: string;
  readonly wgsl: string;
  /** The gradient estimators it offers; the first is the default. */
  readonly estimators: readonly {
    readonly name: string;
    readonly summary: string;
    /** Its direction is not the gradient of the fixed-sample objective (STL, DReG): Adam only. */
    readonly stochasticOnly?: boolean;
  }[];
  /** What the reported value is, e.g. "ELBO". */
  readonly boundName: string;
  /** How the name is written with its argument, e.g. "iw:K" (for the help). */
  readonly usage?: string;
  /**
   * Samples per estimate (OBJECTIVE_GROUP in WGSL; default 1): each group is K consecutive samples of one
   * thread, so settings.samples must be a multiple of it and MODEL_BATCH a divisor.
   */
  readonly group?: number;
  /**
   * ObjectiveValue.closed is the family's entropy, so the host may replace it by the family's float64
   * entropy (L-BFGS, src/vi/fit-host.ts). False (the default) for a bound with no closed-form part.
   */
  readonly closedIsEntropy?: boolean;
  /**
   * The descriptor for "name:ARGUMENT" (e.g. "iw:8"), or what was expected of the argument. An objective
   * without configure takes no argument.
   */
  configure?(argument: string | undefined): ObjectiveDescriptor | string;
  /** vec4 blocks of per-thread value accumulators (OBJECTIVE_V4 in WGSL). */
  readonly valueBlocks: number;
  /** Compile-time constants for its WGSL (OBJECTIVE_V4 comes from valueBlocks, OBJECTIVE_GROUP from group). */
  constants(estimator: string): Readonly<Record<string, WgslConstant>>;
  /** Why this estimator cannot be used with this family, or undefined when it can. */
  incompatibility(family: FamilyDescriptor, estimator: string): string | undefined;
}
