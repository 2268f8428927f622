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
   * Where in its state the lambda to report lies (FAMILY_PV blocks from this block offset), when that is not
   * the lambda buffer itself: e.g. Adam's window mean of lambda.
   */
  reportedLambdaOffset?(lambdaBlocks: number): number;
  /**
   * The part of its state the host reads back after every submit (FAMILY_PV blocks from this block offset):
   * Adam's window mean of lambda, the host L-BFGS's gradient.
   */
  hostViewOffset?(lambdaBlocks: number): number;
  /**
   * Who runs the optimisation: "gpu" (the finalize pass updates lambda, the host only watches), or "host"
   * (the finalize pass hands the gradient back and the host chooses every lambda: src/vi/fit-host.ts).
   */
  readonly driver: 'gpu' | 'host';
  /**
   * Steps evaluate the same samples (common random numbers: the RNG's step word stays 0), so the objective
   * is a deterministic function of lambda.
   */
  readonly fixedSamples: boolean;
}
