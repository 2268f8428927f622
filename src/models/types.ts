/**
 * The model contract. A model is WGSL plus metadata; a compiler from the Stan language to WGSL can emit
 * exactly this.
 *
 * WGSL (shaders/models/<name>.wgsl, composed into kernels under the module name "model"), given the engine's constants D (latent dimension, unconstrained) and
 * DV = ceil(D / 4), and RV = ceil(R / 4) for R reported values, plus the model's own constants:
 *   fn model_log_joint(z: ptr<function, array<vec4<f32>, DV>>, grad: ptr<function, array<vec4<f32>, DV>>) -> f32
 *       log p(X, z) on the unconstrained space, including the log-Jacobian of the constraining transforms;
 *       writes d/dz of it into grad. Lanes past D are 0 in z and must be written as 0 in grad.
 *   or, instead, for a model whose cost is dominated by reading its data (PreparedModel.maxBatch set):
 *   fn model_log_joint_batch(z: ptr<function, array<array<vec4<f32>, DV>, MODEL_BATCH>>,
 *                            grad: ptr<function, array<array<vec4<f32>, DV>, MODEL_BATCH>>,
 *                            lp: ptr<function, array<f32, MODEL_BATCH>>)
 *       the same for MODEL_BATCH independent samples at once (MODEL_BATCH <= maxBatch, chosen by the engine),
 *       so each data load serves MODEL_BATCH samples. Kernels always call the batch form; for a one-sample
 *       model, shaders/kernels/model_batch.wgsl supplies it (with MODEL_BATCH = 1).
 *   fn model_constrain(z: ptr<function, array<vec4<f32>, DV>>, out: ptr<function, array<vec4<f32>, RV>>)
 *       the R reported values (constrained parameters, then transformed parameters) for a latent z.
 *   Data: read-only storage buffers at @group(1) @binding(0..), in the order of PreparedModel.buffers.
 */
import type { WgslConstant } from '../gpu/wgsl';
import type { StanData } from './data';

export interface DataFieldDoc {
  readonly name: string;
  /** Stan's declaration, e.g. "int<lower=1> N", "vector[N] y", "matrix[N, D] X (rows)". */
  readonly declaration: string;
}

export interface PosteriorSummary {
  readonly mean: readonly number[];
  readonly sd: readonly number[];
}

export interface PreparedModel {
  /** D: unconstrained latent dimension. */
  readonly dimension: number;
  /** Reported parameter names in Stan's style (`beta[2]`), in model_constrain's order. */
  readonly paramNames: readonly string[];
  readonly constants: Readonly<Record<string, WgslConstant>>;
  /** The model's data buffers, bound at @group(1) @binding(i). */
  readonly buffers: readonly { readonly label: string; readonly data: Float32Array | Uint32Array }[];
  /**
   * Set when the model's WGSL defines model_log_joint_batch rather than model_log_joint: the most samples
   * per call worth compiling for this data (the batch's code grows with MODEL_BATCH times D).
   */
  readonly maxBatch?: number;
  /** The exact posterior of the reported parameters, where it is known in closed form. */
  readonly exact?: PosteriorSummary;
  /** A reference posterior (posteriordb's long NUTS runs), where one exists for this data. */
  readonly reference?: PosteriorSummary;
  /**
   * Bytes of function memory one thread's evaluation of the model holds in arrays (a compiled Stan model's
   * stored locals), where that is known: a CPU adapter refuses more than it can compile (src/vi/tuning.ts).
   */
  readonly functionBytes?: number;
}

/** The prepared model is beyond what this adapter can run (the message says which limit and by how much). */
export class ModelLimitError extends Error {
  override name = 'ModelLimitError';
}

export interface ModelDefinition {
  readonly name: string;
  readonly title: string;
  /** The model's WGSL (shaders/models/<name>.wgsl, imported with ?raw); it may `// requires:` library modules. */
  readonly wgsl: string;
  readonly dataFields: readonly DataFieldDoc[];
  /** Built-in data the model runs on by default (Stan JSON). */
  readonly defaultData: () => StanData;
  /** Validates the data (throwing DataError naming the field) and lays it out for the GPU. */
  readonly prepare: (data: StanData) => PreparedModel;
}

/** The padded vec4 count for n values. */
export function vec4Count(n: number): number {
  return Math.max(1, Math.ceil(n / 4));
}
