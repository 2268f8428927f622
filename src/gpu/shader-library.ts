/**
 * The index of the WGSL library modules in shaders/ (models carry their own WGSL: src/models), loaded as text through Vite's `?raw` (in the page, the
 * worker, Vitest and vite-node alike). Names are paths under shaders/ without the extension.
 */
import philox from '../../shaders/rng/philox.wgsl?raw';
import workgroupTree from '../../shaders/reduce/workgroup_tree.wgsl?raw';
import workgroupSubgroups from '../../shaders/reduce/workgroup_subgroups.wgsl?raw';
import compensated from '../../shaders/reduce/compensated.wgsl?raw';
import partials from '../../shaders/reduce/partials.wgsl?raw';
import reduceSum from '../../shaders/kernels/reduce_sum.wgsl?raw';
import rngFill from '../../shaders/kernels/rng_fill.wgsl?raw';
import philoxBatch from '../../shaders/kernels/philox_batch.wgsl?raw';
import modelEval from '../../shaders/kernels/model_eval.wgsl?raw';
import modelBatch from '../../shaders/kernels/model_batch.wgsl?raw';
import elboSettings from '../../shaders/kernels/elbo_settings.wgsl?raw';
import elboStep from '../../shaders/kernels/elbo_step.wgsl?raw';
import elboFinalize from '../../shaders/kernels/elbo_finalize.wgsl?raw';
import drawReported from '../../shaders/kernels/draw_reported.wgsl?raw';
import meanfield from '../../shaders/families/meanfield.wgsl?raw';
import fullrank from '../../shaders/families/fullrank.wgsl?raw';
import tailKeys from '../../shaders/psis/tail_keys.wgsl?raw';
import tailSelect from '../../shaders/psis/tail_select.wgsl?raw';
import tailMoments from '../../shaders/psis/tail_moments.wgsl?raw';
import { composeWgsl, type ComposeOptions, type ComposedProgram } from './wgsl';
import type { GpuFeatures } from './device';

export const SHADER_LIBRARY: Readonly<Record<string, string>> = {
  'rng/philox': philox,
  'reduce/compensated': compensated,
  'reduce/workgroup_tree': workgroupTree,
  'reduce/workgroup_subgroups': workgroupSubgroups,
  'reduce/partials': partials,
  'kernels/reduce_sum': reduceSum,
  'kernels/rng_fill': rngFill,
  'kernels/philox_batch': philoxBatch,
  'kernels/model_eval': modelEval,
  'kernels/model_batch': modelBatch,
  'kernels/elbo_settings': elboSettings,
  'kernels/elbo_step': elboStep,
  'kernels/elbo_finalize': elboFinalize,
  'kernels/draw_reported': drawReported,
  'families/meanfield': meanfield,
  'families/fullrank': fullrank,
  'psis/tail_keys': tailKeys,
  'psis/tail_select': tailSelect,
  'psis/tail_moments': tailMoments,
};

/** The file a module name lives in, for error messages. */
export function shaderFile(module: string): string {
  return module in SHADER_LIBRARY ? `shaders/${module}.wgsl` : module;
}

export type ReducePath = 'subgroups' | 'tree';

/** The workgroup reduction a device should use: subgroupAdd where it has subgroups, else the tree. */
export function reducePathFor(features: GpuFeatures): ReducePath {
  return features.subgroups ? 'subgroups' : 'tree';
}

/** Composes a program from the library, with "reduce/workgroup" bound to the chosen reduction path. */
export function composeProgram(
  options: ComposeOptions & { readonly reducePath?: ReducePath },
): ComposedProgram {
  const reduceModule =
    options.reducePath === 'subgroups' ? 'reduce/workgroup_subgroups' : 'reduce/workgroup_tree';
  return composeWgsl(SHADER_LIBRARY, {
    ...options,
    aliases: { 'reduce/workgroup': reduceModule, ...options.aliases },
  });
}
