/**
 * The host/GPU layouts agree field by field on the real WebGPU implementation: the host packs a struct, a
 * kernel reads every field by name and writes its bits out; and a kernel writes every field by name, the
 * host unpacks them. Both sides come from one declaration (src/gpu/layout.ts), so this proves the
 * generated offsets follow WGSL's alignment rules, for every struct the engine shares with its kernels.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuffer, readBuffer, STORAGE, UNIFORM } from '../../src/gpu/buffers';
import type { GpuContext } from '../../src/gpu/device';
import type { StructLayout } from '../../src/gpu/layout';
import { computePipeline, bindBuffers } from '../../src/gpu/pipelines';
import { composeProgram } from '../../src/gpu/shader-library';
import { DRAW_PARAMS, ENGINE_STATE, settingsLayout, STEP_METRICS } from '../../src/vi/layout';
import { optimizerNames, findOptimizer } from '../../src/vi/optimizers/registry';
import { testDevice } from './gpu-context';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testDevice();
});
afterAll(() => ctx?.device.destroy());

const LANES: Record<string, number> = { u32: 1, i32: 1, f32: 1 };
const lanesOf = (type: string): number => LANES[type] ?? Number(/vec(\d)/.exec(type)?.[1]);

/** Distinct, exactly representable values for each lane of each field. */
function sampleValues(layout: StructLayout): { values: Record<string, number | number[]>; bits: number[] } {
  const values: Record<string, number | number[]> = {};
  const bits: number[] = [];
  let k = 1;
  for (const field of layout.fields) {
    const lanes = Array.from({ length: lanesOf(field.type) }, () => {
      const v = field.type.includes('f32') ? k + 0.25 : 1000 + k;
      k++;
      const view = new DataView(new ArrayBuffer(4));
      if (field.type.includes('f32')) view.setFloat32(0, v, true);
      else view.setUint32(0, v, true);
      bits.push(view.getUint32(0, true));
      return v;
    });
    values[field.name] = lanes.length === 1 ? (lanes[0] as number) : lanes;
  }
  return { values, bits };
}

function laneExprs(layout: StructLayout, variable: string): string[] {
  return layout.fields.flatMap((field) => {
    const n = lanesOf(field.type);
    const access = (i: number) => (n === 1 ? `${variable}.${field.name}` : `${variable}.${field.name}[${i}]`);
    return Array.from({ length: n }, (_, i) => `bitcast<u32>(${access(i)})`);
  });
}

async function hostToGpu(layout: StructLayout, space: 'uniform' | 'storage'): Promise<void> {
  const { values, bits } = sampleValues(layout);
  const reads = laneExprs(layout, 'input').map((e, i) => `  out[${i}] = ${e};`);
  const code = `${layout.wgsl}
@group(0) @binding(0) var<${space === 'uniform' ? 'uniform' : 'storage, read'}> input: ${layout.name};
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(1)
fn main() {
${reads.join('\n')}
}`;
  const program = composeProgram({ modules: ['t'], extraSources: { t: code } });
  const pipeline = await computePipeline(ctx.device, program, 'main', `layout ${layout.name} read`);
  const input = createBuffer(ctx.device, {
    label: 'layout input',
    usage: space === 'uniform' ? UNIFORM : STORAGE,
    data: layout.pack(values),
  });
  const out = createBuffer(ctx.device, { label: 'layout out', usage: STORAGE, size: bits.length * 4 });
  const encoder = ctx.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindBuffers(ctx.device, pipeline, 'layout', [input, out]));
  pass.dispatchWorkgroups(1);
  pass.end();
  ctx.device.queue.submit([encoder.finish()]);
  expect(Array.from(new Uint32Array(await readBuffer(ctx.device, out)))).toEqual(bits);
  input.destroy();
  out.destroy();
}

async function gpuToHost(layout: StructLayout): Promise<void> {
  const { values } = sampleValues(layout);
  const writes = layout.fields.map((field) => {
    const v = values[field.name] ?? 0;
    const literal = (x: number) => (field.type.includes('f32') ? `${x}f` : `${x}u`);
    const expr = typeof v === 'number' ? literal(v) : `${field.type}(${v.map(literal).join(', ')})`;
    return `  value.${field.name} = ${expr};`;
  });
  const code = `${layout.wgsl}
@group(0) @binding(0) var<storage, read_write> out: array<${layout.name}>;
@compute @workgroup_size(1)
fn main() {
  var value: ${layout.name};
${writes.join('\n')}
  out[1] = value;
}`;
  const program = composeProgram({ modules: ['t'], extraSources: { t: code } });
  const pipeline = await computePipeline(ctx.device, program, 'main', `layout ${layout.name} write`);
  const out = createBuffer(ctx.device, { label: 'layout out', usage: STORAGE, size: 2 * layout.size });
  const encoder = ctx.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindBuffers(ctx.device, pipeline, 'layout', [out]));
  pass.dispatchWorkgroups(1);
  pass.end();
  ctx.device.queue.submit([encoder.finish()]);
  // Element 1 of the array: the host's idea of the array stride must match WGSL's too.
  const unpacked = layout.unpack(new DataView(await readBuffer(ctx.device, out)), layout.size);
  expect(unpacked).toEqual(values);
  out.destroy();
}

describe('host and WGSL agree on every shared layout', () => {
  const settings = optimizerNames().map((name) => ({
    name: `Settings with ${name}'s fields`,
    layout: settingsLayout(findOptimizer(name)?.settingsFields ?? []),
  }));
  it.each(settings)('$name: the host packs, the uniform reads', async ({ layout }) => {
    await hostToGpu(layout, 'uniform');
  });
  it.each([ENGINE_STATE, STEP_METRICS])('$name: the host packs, the storage buffer reads', async (layout) => {
    await hostToGpu(layout, 'storage');
  });
  it.each([ENGINE_STATE, STEP_METRICS])('$name: WGSL writes, the host unpacks', async (layout) => {
    await gpuToHost(layout);
  });
  it('DrawParams: the host packs, the uniform reads', async () => {
    await hostToGpu(DRAW_PARAMS, 'uniform');
  });
});
