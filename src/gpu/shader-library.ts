/**
 * The index of the WGSL library modules: every file under shaders/, loaded as text through Vite's
 * import.meta.glob with `?raw` (in the page, the worker, Vitest and vite-node alike). A module's name is its
 * path under shaders/ without the extension (`rng/philox`). Models, families, objectives and optimizers
 * come into a program as extra sources under the names their kernels require ("model", "family", ...).
 */
import { composeWgsl, type ComposeOptions, type ComposedProgram } from './wgsl';
import type { GpuFeatures } from './device';

const FILES = import.meta.glob<string>('../../shaders/**/*.wgsl', {
  query: '?raw',
  import: 'default',
  eager: true,
});

export const SHADER_LIBRARY: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(FILES).map(([path, source]) => [
    path.replace(/^.*\/shaders\//, '').replace(/\.wgsl$/, ''),
    source,
  ]),
);

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
