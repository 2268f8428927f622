/**
 * Host/GPU layouts declared once: a struct's fields (and a bind group's bindings) are written here, in
 * TypeScript, and both the WGSL declarations and the host's packing and unpacking come from the same
 * declaration, so the two cannot drift apart. No byte offset is ever written by hand.
 *
 * Offsets follow WGSL's alignment rules (WGSL spec, "Alignment and Size"): a scalar aligns to 4, vec2 to 8,
 * vec4 to 16; a struct aligns to its largest member and its size rounds up to that alignment; in the
 * uniform address space a struct's size is also a multiple of 16.
 */
import type { BindingKind } from './pipelines';

export type FieldType = 'u32' | 'i32' | 'f32' | 'vec2<u32>' | 'vec2<f32>' | 'vec4<u32>' | 'vec4<f32>';

const FIELD_SHAPE: Record<FieldType, { align: number; lanes: number; scalar: 'u32' | 'i32' | 'f32' }> = {
  u32: { align: 4, lanes: 1, scalar: 'u32' },
  i32: { align: 4, lanes: 1, scalar: 'i32' },
  f32: { align: 4, lanes: 1, scalar: 'f32' },
  'vec2<u32>': { align: 8, lanes: 2, scalar: 'u32' },
  'vec2<f32>': { align: 8, lanes: 2, scalar: 'f32' },
  'vec4<u32>': { align: 16, lanes: 4, scalar: 'u32' },
  'vec4<f32>': { align: 16, lanes: 4, scalar: 'f32' },
};

export interface FieldDecl<N extends string = string> {
  readonly name: N;
  readonly type: FieldType;
  /** What the field means, copied into the generated WGSL as a comment. */
  readonly doc: string;
}

export type FieldValue = number | readonly number[];
export type StructValues<N extends string> = Readonly<Record<N, FieldValue>>;

export interface StructLayout<N extends string = string> {
  readonly name: string;
  readonly fields: readonly (FieldDecl<N> & { readonly offset: number })[];
  /** Bytes one value of the struct occupies (also the array stride of array<Struct>). */
  readonly size: number;
  /** The WGSL struct declaration, with each field's doc as a comment. */
  readonly wgsl: string;
  /** Writes `values` into a new buffer of `size` bytes (or into `view` at `byteOffset`). */
  pack(values: StructValues<N>, view?: DataView, byteOffset?: number): ArrayBuffer;
  /** Reads one struct value from `view` at `byteOffset`. */
  unpack(view: DataView, byteOffset?: number): Record<N, number | number[]>;
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

function writeScalar(view: DataView, offset: number, scalar: 'u32' | 'i32' | 'f32', value: number): void {
  if (scalar === 'f32') view.setFloat32(offset, value, true);
  else if (scalar === 'i32') view.setInt32(offset, value, true);
  else view.setUint32(offset, value >>> 0, true);
}

function readScalar(view: DataView, offset: number, scalar: 'u32' | 'i32' | 'f32'): number {
  if (scalar === 'f32') return view.getFloat32(offset, true);
  if (scalar === 'i32') return view.getInt32(offset, true);
  return view.getUint32(offset, true);
}

/**
 * A struct shared by WGSL and the host. `addressSpace` matters for its size: a uniform struct's size is a
 * multiple of 16 bytes.
 */
export function defineStruct<const N extends string>(
  name: string,
  fields: readonly FieldDecl<N>[],
  addressSpace: 'uniform' | 'storage',
): StructLayout<N> {
  let offset = 0;
  let align = 4;
  const placed = fields.map((field) => {
    const shape = FIELD_SHAPE[field.type];
    offset = roundUp(offset, shape.align);
    const at = offset;
    offset += 4 * shape.lanes;
    align = Math.max(align, shape.align);
    return { ...field, offset: at };
  });
  const size = roundUp(offset, addressSpace === 'uniform' ? Math.max(16, align) : align);
  const wgsl = [`struct ${name} {`, ...placed.map((f) => `  ${f.name}: ${f.type}, // ${f.doc}`), '}'].join(
    '\n',
  );
  return {
    name,
    fields: placed,
    size,
    wgsl,
    pack(values, view, byteOffset = 0) {
      const target = view ?? new DataView(new ArrayBuffer(size));
      for (const field of placed) {
        const shape = FIELD_SHAPE[field.type];
        const value: FieldValue | undefined = values[field.name];
        const lanes: readonly number[] | undefined = typeof value === 'number' ? [value] : value;
        if (lanes === undefined || lanes.length !== shape.lanes) {
          throw new RangeError(`${name}.${field.name}: expected ${shape.lanes} value(s) for ${field.type}`);
        }
        lanes.forEach((v, i) => writeScalar(target, byteOffset + field.offset + 4 * i, shape.scalar, v));
      }
      return target.buffer as ArrayBuffer;
    },
    unpack(view, byteOffset = 0) {
      const out = {} as Record<N, number | number[]>;
      for (const field of placed) {
        const shape = FIELD_SHAPE[field.type];
        const lanes = Array.from({ length: shape.lanes }, (_, i) =>
          readScalar(view, byteOffset + field.offset + 4 * i, shape.scalar),
        );
        out[field.name] = shape.lanes === 1 ? (lanes[0] as number) : lanes;
      }
      return out;
    },
  };
}

export interface BindingDecl<N extends string = string> {
  readonly name: N;
  readonly kind: BindingKind;
  /** The WGSL type of the variable, e.g. "Settings" or "array<vec4<f32>>". */
  readonly type: string;
  readonly doc: string;
}

export interface BindGroupLayoutDecl<N extends string = string> {
  readonly group: number;
  readonly bindings: readonly BindingDecl<N>[];
  /** The WGSL `@group(g) @binding(i) var<...> name: type;` lines, in binding order. */
  readonly wgsl: string;
  /** The binding kinds in binding order, for pipelineLayout / computePipeline. */
  readonly kinds: readonly BindingKind[];
  /**
   * A bind group for a pipeline compiled with this layout, from the buffers by binding name; `ranges` binds
   * part of a buffer (offset and size in bytes; the offset a multiple of the device's offset alignment).
   */
  createBindGroup(
    device: GPUDevice,
    pipeline: GPUComputePipeline,
    label: string,
    buffers: Readonly<Record<N, GPUBuffer>>,
    ranges?: Readonly<Partial<Record<N, BufferRange>>>,
  ): GPUBindGroup;
}

/** Part of a buffer, in bytes. */
export interface BufferRange {
  readonly offset: number;
  readonly size: number;
}

const ADDRESS_SPACE: Record<BindingKind, string> = {
  uniform: 'uniform',
  read: 'storage, read',
  read_write: 'storage, read_write',
};

/** A bind group whose WGSL declarations, pipeline-layout kinds and bind-group entries share one list. */
export function defineBindGroup<const N extends string>(
  group: number,
  bindings: readonly BindingDecl<N>[],
): BindGroupLayoutDecl<N> {
  const wgsl = bindings
    .map(
      (b, i) =>
        `@group(${group}) @binding(${i}) var<${ADDRESS_SPACE[b.kind]}> ${b.name}: ${b.type}; // ${b.doc}`,
    )
    .join('\n');
  return {
    group,
    bindings,
    wgsl,
    kinds: bindings.map((b) => b.kind),
    createBindGroup(device, pipeline, label, buffers, ranges) {
      return device.createBindGroup({
        label,
        layout: pipeline.getBindGroupLayout(group),
        entries: bindings.map((b, binding) => ({
          binding,
          resource: { buffer: buffers[b.name], ...ranges?.[b.name] },
        })),
      });
    },
  };
}
