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
  readonly estimators: readonly { readonly name: string; readonly summary: string }[];
  /** What the reported value is, e.g. "ELBO". */
  readonly boundName: string;
  /** vec4 blocks of per-thread value accumulators (OBJECTIVE_V4 in WGSL). */
  readonly valueBlocks: number;
  /** Compile-time constants for its WGSL (OBJECTIVE_V4 comes from valueBlocks). */
  constants(estimator: string): Readonly<Record<string, WgslConstant>>;
  /** Why this estimator cannot be used with this family, or undefined when it can. */
  incompatibility(family: FamilyDescriptor, estimator: string): string | undefined;
}
