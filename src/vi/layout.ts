/**
 * The engine's host/GPU contracts, declared once: the settings uniform, the engine state, the metrics ring
 * and the bind groups of the ELBO kernels. The WGSL the kernels see (module "vi/layout") is generated from
 * these declarations, and the host packs and reads the buffers through the same ones.
 */
import {
  defineBindGroup,
  defineStruct,
  type FieldDecl,
  type StructLayout,
  type StructValues,
} from '../gpu/layout';

const ENGINE_SETTINGS_FIELDS = [
  { name: 'samples', type: 'u32', doc: 'Monte Carlo samples per step' },
  { name: 'partial_count', type: 'u32', doc: 'workgroups of elbo_step (partials to reduce)' },
  { name: 'seed', type: 'vec2<u32>', doc: 'Philox key: the seed, low word first' },
  { name: 'clip', type: 'f32', doc: 'gradient-norm clip (0: none)' },
  { name: 'metrics_ring', type: 'u32', doc: 'entries in the metrics ring' },
] as const satisfies readonly FieldDecl[];

export type EngineSettingsField = (typeof ENGINE_SETTINGS_FIELDS)[number]['name'];

/** The settings uniform: the engine's fields, then the optimizer's own (e.g. Adam's lr, beta1, ...). */
export function settingsLayout(optimizerFields: readonly FieldDecl[]): StructLayout {
  return defineStruct('Settings', [...ENGINE_SETTINGS_FIELDS, ...optimizerFields], 'uniform');
}

/** Advanced by elbo_finalize on the GPU, so that many steps can be encoded per submit. */
export const ENGINE_STATE = defineStruct(
  'EngineState',
  [
    { name: 'step', type: 'u32', doc: 'optimizer steps taken (applied or skipped); the RNG counter word' },
    { name: 'skipped', type: 'u32', doc: 'steps skipped because the bound or its gradient was not finite' },
    { name: 'centre', type: 'f32', doc: "the last finite step's mean per-sample value (the next shift)" },
  ],
  'storage',
);

/**
 * Restarts (settings.restarts) each own a slot of every per-fit buffer (settings, lambda, state, partials,
 * optimizer state, metrics), at a stride that is a multiple of this: the finalize pass binds one restart's
 * slots at their offsets, and WebGPU's offset alignments (minUniform/minStorageBufferOffsetAlignment) are
 * at most 256 bytes on every device.
 */
export const RESTART_ALIGN = 256;

/** Bytes of one restart's slot of a buffer holding `bytes` per restart. */
export function restartStride(bytes: number): number {
  return Math.ceil(Math.max(bytes, 1) / RESTART_ALIGN) * RESTART_ALIGN;
}

/** The step kernel reads every restart's engine state: one slot each (see RESTART_ALIGN). */
const ENGINE_STATE_SLOT = `struct EngineStateSlot {\n  @size(${RESTART_ALIGN}) state: EngineState,\n}`;

/** One metrics ring entry per step, at index (step % metrics_ring). */
export const STEP_METRICS = defineStruct(
  'StepMetrics',
  [
    { name: 'step', type: 'u32', doc: 'the step this entry describes' },
    { name: 'skipped', type: 'u32', doc: 'steps skipped so far' },
    { name: 'applied', type: 'u32', doc: '1 when the optimizer changed lambda' },
    { name: 'value', type: 'f32', doc: "the objective's estimate (the ELBO for KL)" },
    { name: 'relative_value', type: 'f32', doc: 'the Monte Carlo part of value minus shift' },
    { name: 'closed_value', type: 'f32', doc: 'the closed-form part of value (the entropy, if any)' },
    { name: 'shift', type: 'f32', doc: "the centre this step's sums were taken about" },
    { name: 'mcse', type: 'f32', doc: 'its Monte Carlo standard error' },
    { name: 'grad_norm', type: 'f32', doc: "the gradient's norm before clipping" },
    { name: 'step_size', type: 'f32', doc: "the optimizer's step size" },
    {
      name: 'dropped',
      type: 'u32',
      doc: "this step's samples left out: their log density or gradient was not finite (KL)",
    },
  ],
  'storage',
);

export const DRAW_PARAMS = defineStruct(
  'DrawParams',
  [{ name: 'key', type: 'vec2<u32>', doc: 'Philox key of the draws' }],
  'uniform',
);

export const STEP_BINDINGS = defineBindGroup(0, [
  { name: 'settings', kind: 'uniform', type: 'Settings', doc: "settingsLayout (restart 0's slot)" },
  {
    name: 'lambda',
    kind: 'read',
    type: 'array<vec4<f32>>',
    doc: "q's parameters, FAMILY_PV blocks per restart, RESTART_LAMBDA apart",
  },
  {
    name: 'state',
    kind: 'read',
    type: 'array<EngineStateSlot>',
    doc: 'ENGINE_STATE, one slot per restart',
  },
  {
    name: 'partials',
    kind: 'read_write',
    type: 'array<SumPair>',
    doc: 'ACC_V4 per workgroup, RESTART_PARTIALS per restart',
  },
]);

export const FINALIZE_BINDINGS = defineBindGroup(0, [
  { name: 'settings', kind: 'uniform', type: 'Settings', doc: 'settingsLayout' },
  { name: 'lambda', kind: 'read_write', type: 'array<vec4<f32>>', doc: "q's parameters, FAMILY_PV blocks" },
  { name: 'state', kind: 'read_write', type: 'EngineState', doc: 'ENGINE_STATE' },
  { name: 'partials', kind: 'read', type: 'array<SumPair>', doc: 'ACC_V4 per workgroup of elbo_step' },
  {
    name: 'optimizer_state',
    kind: 'read_write',
    type: 'array<vec4<f32>>',
    doc: "the optimizer's own state (its stateBlocks)",
  },
  { name: 'metrics', kind: 'read_write', type: 'array<StepMetrics>', doc: 'the metrics ring' },
]);

export const DRAW_BINDINGS = defineBindGroup(0, [
  { name: 'draw_params', kind: 'uniform', type: 'DrawParams', doc: 'DRAW_PARAMS' },
  { name: 'lambda', kind: 'read', type: 'array<vec4<f32>>', doc: "q's parameters" },
  { name: 'draws', kind: 'read_write', type: 'array<vec4<f32>>', doc: 'RV blocks per draw' },
]);

type Bindings = typeof STEP_BINDINGS | typeof FINALIZE_BINDINGS | typeof DRAW_BINDINGS;

/** The source of module "vi/layout" for a kernel: the shared structs and that kernel's bindings. */
export function layoutModule(settings: StructLayout, bindings: Bindings): string {
  return [
    '// vi/layout — generated by src/vi/layout.ts (the declarations the host packs and reads).',
    '// requires: reduce/compensated',
    settings.wgsl,
    ENGINE_STATE.wgsl,
    ENGINE_STATE_SLOT,
    STEP_METRICS.wgsl,
    DRAW_PARAMS.wgsl,
    bindings.wgsl,
  ].join('\n');
}

export type SettingsValues = StructValues<string>;
