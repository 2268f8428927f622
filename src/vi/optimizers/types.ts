/**
 * An optimizer: the update the finalize pass applies to lambda, with its state on the GPU. Its WGSL is the
 * module bound to "optimizer" (the contract is in shaders/optimizers/adam.wgsl's header).
 */
import type { FieldDecl, FieldValue } from '../../gpu/layout';
import type { FitSettings } from '../settings';

export interface OptimizerDescriptor {
  readonly name: string;
  readonly title: string;
  readonly wgsl: string;
  /** Its fields in the settings uniform (generated into WGSL's Settings struct after the engine's). */
  readonly settingsFields: readonly FieldDecl[];
  /** Their values for a fit. */
  settingsValues(settings: FitSettings): Readonly<Record<string, FieldValue>>;
  /** vec4 blocks of its state buffer (optimizer_state), for FAMILY_PV blocks of lambda. */
  stateBlocks(lambdaBlocks: number): number;
  /**
   * Steps evaluate the same samples (common random numbers: the RNG's step word stays 0), so the objective
   * is a deterministic function of lambda.
   */
  readonly fixedSamples: boolean;
}
