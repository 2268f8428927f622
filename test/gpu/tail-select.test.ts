/**
 * The GPU tail selection and weighted-moment passes (src/gpu/tail-select.ts, shaders/psis/*) on Dawn,
 * against float64 CPU computations of the same f32 values: the selected values and indices must be
 * exactly the CPU's (loo's stable order, ties included), the sums within f32 rounding, psisFromTail on the
 * selection equal to psis on the full vector, and no GPU memory allocated per run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuffer, STORAGE } from '../../src/gpu/buffers';
import type { GpuContext } from '../../src/gpu/device';
import type { ReducePath } from '../../src/gpu/shader-library';
import { TailMoments } from '../../src/gpu/tail-moments';
import { TailSelect, type TailProgram, type TailSelection } from '../../src/gpu/tail-select';
import {
  psis,
  psisCorrectedMoments,
  psisFromTail,
  psisSummarySize,
  summarizeLogRatios,
} from '../../src/vi/diagnostics/psis';
import {
  TAIL_FORMULA_WGSL,
  tailFormulaConstants,
  tailFormulaValues,
  type TailFormula,
} from '../reference/tail-formula';
import { testDevice } from './gpu-context';

let ctx: GpuContext;

beforeAll(async () => {
  ctx = await testDevice();
});

function formulaProgram(formula: TailFormula, extra = ''): TailProgram {
  return {
    label: 'formula',
    source: TAIL_FORMULA_WGSL + extra,
    constants: { ...tailFormulaConstants(formula), R: 3, RV: 1 },
    groups: [],
    bindGroups: () => [],
  };
}

/** A program reading value i from a storage buffer at @group(1) @binding(0). */
function bufferProgram(values: Float32Array): TailProgram & { destroy(): void } {
  const buffer = createBuffer(ctx.device, { label: 'tail test values', usage: STORAGE, data: values });
  const groups = new WeakMap<GPUComputePipeline, GPUBindGroup>();
  return {
    label: 'buffer',
    source: `@group(1) @binding(0) var<storage, read> tail_test_values: array<f32>;
fn tail_setup() {}
fn tail_value(i: u32) -> f32 { return tail_test_values[i]; }
`,
    groups: [['read']],
    bindGroups(pipeline) {
      let group = groups.get(pipeline);
      if (!group) {
        group = ctx.device.createBindGroup({
          layout: pipeline.getBindGroupLayout(1),
          entries: [{ binding: 0, resource: { buffer } }],
        });
        groups.set(pipeline, group);
      }
      return [group];
    },
    destroy: () => buffer.destroy(),
  };
}

/** Runs a selection, counting the GPU bytes created while it runs. */
async function timedRun(select: TailSelect, count: number, label: string, need?: number) {
  const device = ctx.device;
  const original = device.createBuffer.bind(device);
  let created = 0;
  device.createBuffer = (descriptor: GPUBufferDescriptor) => {
    created += descriptor.size;
    return original(descriptor);
  };
  const start = performance.now();
  try {
    const selection = await select.run(count, need);
    const ms = performance.now() - start;
    console.info(
      `[tail-select] ${label}: S = ${count}, ${selection.passes} passes, ${ms.toFixed(0)} ms, ` +
        `${select.allocatedBytes} bytes held, ${created} bytes created during the run`,
    );
    return { selection, created };
  } finally {
    device.createBuffer = original;
  }
}

function logSumExp64(values: Float32Array): number {
  let max = -Infinity;
  for (const v of values) if (v > max && v !== Infinity) max = v;
  let sum = 0;
  for (const v of values) if (v > -Infinity && v !== Infinity && !Number.isNaN(v)) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

function expectSameAsCpu(selection: TailSelection, values: Float32Array) {
  const cpu = summarizeLogRatios(values);
  expect(selection.count).toBe(values.length);
  expect(selection.largest.length).toBe(psisSummarySize(values.length));
  expect(Array.from(selection.largest)).toEqual(Array.from(cpu.largest));
  expect(Array.from(selection.indices)).toEqual(Array.from(cpu.indices ?? []));
  expect(selection.max).toBe(cpu.largest[cpu.largest.length - 1]);
  expect(selection.invalidDraws).toBe(cpu.invalidDraws);
  expect(Math.abs(selection.logSumExp - logSumExp64(values))).toBeLessThan(2e-6);
  expect(Math.abs(selection.restSumExp - cpu.restSumExp) / cpu.restSumExp).toBeLessThan(2e-6);
  expect(Math.abs(selection.restSumExp2 - cpu.restSumExp2) / cpu.restSumExp2).toBeLessThan(2e-6);
  // PSIS from the GPU's summary and from the full vector on the CPU.
  const full = psis(values);
  const fromGpu = psisFromTail(selection);
  expect(fromGpu.status).toBe(full.status);
  if (Number.isFinite(full.khat)) expect(Math.abs(fromGpu.khat - full.khat)).toBeLessThan(1e-6);
  else expect(fromGpu.khat).toBe(full.khat);
  const cpuTail = Array.from(fromGpu.tailIndices ?? [], (i) => full.logWeights[i] as number);
  fromGpu.tailLogWeights.forEach((lw, k) => expect(Math.abs(lw - (cpuTail[k] as number))).toBeLessThan(2e-6));
  expect(Math.abs(fromGpu.iwElbo - full.iwElbo)).toBeLessThan(2e-6);
  expect(Math.abs(fromGpu.ess - full.ess) / full.ess).toBeLessThan(1e-5);
  return { full, fromGpu };
}

describe('TailSelect', () => {
  let select: TailSelect;
  const light: TailFormula = { scale: 0.25, shift: -1000.5, seed: 1 };
  const heavy: TailFormula = { scale: 0.5, shift: 3, seed: 2 };

  beforeAll(async () => {
    select = await TailSelect.create(ctx, formulaProgram(light));
  });
  afterAll(() => select.destroy());

  it('selects the M + 1 largest of 10^4 formula values exactly, as the CPU does', async () => {
    const { selection, created } = await timedRun(select, 10_000, 'formula k=0.36');
    const { full } = expectSameAsCpu(selection, tailFormulaValues(10_000, light));
    expect(full.khat).toBeLessThan(0.7);
    expect(created).toBe(0);
  });

  it('selects from 10^6 heavy-tailed values (k-hat > 0.5), and 2^22 with many ties, with the same memory', async () => {
    const heavySelect = await TailSelect.create(ctx, formulaProgram(heavy));
    try {
      const { selection, created } = await timedRun(heavySelect, 1_000_000, 'formula k=0.72');
      const { full } = expectSameAsCpu(selection, tailFormulaValues(1_000_000, heavy));
      expect(full.khat).toBeGreaterThan(0.5);
      expect(created).toBe(0);
      expect(heavySelect.allocatedBytes).toBe(select.allocatedBytes);
    } finally {
      heavySelect.destroy();
    }
    const count = 2 ** 22;
    const { selection, created } = await timedRun(select, count, 'formula k=0.36');
    const values = tailFormulaValues(count, light);
    const distinct = new Set(selection.largest).size;
    expect(distinct).toBeLessThan(selection.largest.length); // ties in the tail
    expectSameAsCpu(selection, values);
    expect(created).toBe(0);
    // The buffers are sized by maxCount (2^24), not by S: under 1 MB whatever S is.
    expect(select.allocatedBytes).toBeLessThan(1 << 20);
  });

  it.each<ReducePath>(['tree', 'subgroups'])(
    'selects arbitrary f32 values from a storage-buffer program (%s path): negatives, -0, ties',
    async (path) => {
      if (path === 'subgroups') expect(ctx.features.subgroups).toBe(true);
      const count = 10_000;
      const values = new Float32Array(count);
      for (let i = 0; i < count; i++) values[i] = Math.sin(i * 0.7) * 4 - 10 + ((i * 7919) % 13) * 0.125;
      values[17] = -0;
      values[18] = 0;
      values[9000] = NaN;
      values[9001] = -Infinity;
      const program = bufferProgram(values);
      const bufferSelect = await TailSelect.create(ctx, program, { path, maxCount: 1 << 20 });
      try {
        const { selection } = await timedRun(bufferSelect, count, `buffer (${path})`);
        expectSameAsCpu(selection, values);
        expect(selection.negInfDraws).toBe(1);
        expect(selection.invalidDraws).toBe(1);
      } finally {
        bufferSelect.destroy();
        program.destroy();
      }
    },
  );

  it('goes down to the draw index when the values are constant (loo: constant tail)', async () => {
    const count = 100_000;
    const values = new Float32Array(count).fill(3);
    const program = bufferProgram(values);
    const need = psisSummarySize(count);
    const tight = await TailSelect.create(ctx, program, { maxCount: count, capacity: need });
    try {
      const { selection } = await timedRun(tight, count, 'constant, capacity M + 1');
      expect(selection.passes).toBeGreaterThanOrEqual(4);
      expect(Array.from(selection.indices)).toEqual(Array.from({ length: need }, (_, k) => count - need + k));
      const result = psisFromTail(selection);
      expect(result.status).toBe('constant-tail');
      expect(result.iwElbo).toBeCloseTo(3, 6);
      expect(result.ess).toBeCloseTo(count, -1);
    } finally {
      tight.destroy();
      program.destroy();
    }
  });

  it('reports no finite value without smoothing anything', async () => {
    const values = new Float32Array(1000).fill(-Infinity);
    values[5] = NaN;
    const program = bufferProgram(values);
    const sel = await TailSelect.create(ctx, program, { maxCount: 1000 });
    try {
      const { selection } = await timedRun(sel, 1000, 'all -inf');
      expect(selection.max).toBe(-Infinity);
      expect(selection.negInfDraws).toBe(999);
      expect(selection.invalidDraws).toBe(1);
      expect(psisFromTail(selection).status).toBe('no-finite-draws');
      expect(Array.from(selection.indices)).toEqual(Array.from(summarizeLogRatios(values).indices ?? []));
    } finally {
      sel.destroy();
      program.destroy();
    }
  });

  it('rejects counts beyond maxCount and constants the kernels own', async () => {
    await expect(select.run(2 ** 24 + 1)).rejects.toThrow(/count: expected an integer in \[1, 16777216\]/);
    await expect(
      TailSelect.create(ctx, { ...formulaProgram(light), constants: { WG_SIZE: 64 } }),
    ).rejects.toThrow(/constant WG_SIZE is set by the tail kernels/);
  });
});

describe('TailMoments', () => {
  // Reported values of draw i: r0 = (i mod 101) / 2, r1 = (7 i mod 13) - 6, r2 = the draw's value.
  const REPORTED = `
fn tail_reported(i: u32, out: ptr<function, array<vec4<f32>, RV>>) {
  (*out)[0] = vec4<f32>(f32(i % 101u) * 0.5, f32((i * 7u) % 13u) - 6.0, tail_value(i), 0.0);
}
`;
  const formula: TailFormula = { scale: 0.5, shift: -20.5, seed: 9 };

  it('gives the PSIS-weighted means and sds of reported values (CPU psis + psisCorrectedMoments)', async () => {
    const count = 200_000;
    const program = formulaProgram(formula, REPORTED);
    const select = await TailSelect.create(ctx, program, { maxCount: 1 << 20 });
    const moments = await TailMoments.create(ctx, program, { maxCount: 1 << 20 });
    try {
      const selection = await select.run(count);
      const smoothed = psisFromTail(selection);
      expect(smoothed.status).toBe('fitted');
      const start = performance.now();
      const weights = {
        max: smoothed.max,
        indices: smoothed.tailIndices ?? new Uint32Array(0),
        relativeLogWeights: smoothed.tailRelativeLogWeights,
      };
      const plain = await moments.run(count, weights);
      console.info(`[tail-moments] S = ${count}: ${(performance.now() - start).toFixed(0)} ms`);

      const values = tailFormulaValues(count, formula);
      const reported = new Float64Array(count * 3);
      for (let i = 0; i < count; i++) {
        reported[3 * i] = (i % 101) * 0.5;
        reported[3 * i + 1] = ((i * 7) % 13) - 6;
        reported[3 * i + 2] = Number.isFinite(values[i]!) ? values[i]! : 0;
      }
      const full = psis(values);
      const cpu = psisCorrectedMoments(reported, 3, full.logWeights);
      const centred = await moments.run(count, weights, cpu.mean);
      for (let j = 0; j < 3; j++) {
        const scale = cpu.sd[j]!;
        expect(Math.abs(centred.mean[j]! - cpu.mean[j]!) / scale).toBeLessThan(1e-5);
        expect(Math.abs(centred.sd[j]! - cpu.sd[j]!) / scale).toBeLessThan(1e-5);
        expect(Math.abs(plain.mean[j]! - cpu.mean[j]!) / scale).toBeLessThan(1e-4);
      }
      // The smoothing matters here: with raw weights the mean of the value itself would differ.
      const rawLogWeights = Float64Array.from(values, (v) =>
        Number.isNaN(v) || v === Infinity ? -Infinity : v,
      );
      const raw = psisCorrectedMoments(reported, 3, rawLogWeights);
      expect(Math.abs(raw.mean[2]! - cpu.mean[2]!)).toBeGreaterThan(1e-4 * cpu.sd[2]!);
    } finally {
      select.destroy();
      moments.destroy();
    }
  });

  it('sums many reported values in chunks of blocks from rows written in batches of draws (R = 301: 3 chunks)', async () => {
    // Reported value k of draw i: ((i (k + 1)) mod 17) - 8 + k / 100; 76 blocks, the last one holding one value.
    const R = 301;
    const RV = Math.ceil(R / 4);
    const program: TailProgram = {
      ...formulaProgram(formula),
      source:
        TAIL_FORMULA_WGSL +
        `
fn tail_reported(i: u32, out: ptr<function, array<vec4<f32>, RV>>) {
  for (var b = 0u; b < RV; b = b + 1u) {
    var v = vec4<f32>(0.0);
    for (var l = 0u; l < 4u; l = l + 1u) {
      let k = 4u * b + l;
      v[l] = f32((i * (k + 1u)) % 17u) - 8.0 + f32(k) / 100.0;
    }
    (*out)[b] = v;
  }
}
`,
      constants: { ...tailFormulaConstants(formula), R, RV },
    };
    const count = 20_000;
    const select = await TailSelect.create(ctx, program, { maxCount: 1 << 16 });
    // Rows of 76 blocks (1216 bytes): 3000 draws per batch, so 20000 draws take 7 batches, the last one short.
    const moments = await TailMoments.create(ctx, program, { maxCount: 1 << 16, rowBytes: 3000 * RV * 16 });
    try {
      const smoothed = psisFromTail(await select.run(count));
      const weights = {
        max: smoothed.max,
        indices: smoothed.tailIndices ?? new Uint32Array(0),
        relativeLogWeights: smoothed.tailRelativeLogWeights,
      };
      const reported = new Float64Array(count * R);
      for (let i = 0; i < count; i++)
        for (let k = 0; k < R; k++) reported[R * i + k] = ((i * (k + 1)) % 17) - 8 + k / 100;
      const cpu = psisCorrectedMoments(reported, R, psis(tailFormulaValues(count, formula)).logWeights);
      // A run on fewer draws first: the second run must not add to what the first left in the partials.
      await moments.run(5000, weights, cpu.mean);
      const gpu = await moments.run(count, weights, cpu.mean);
      for (let k = 0; k < R; k++) {
        // Value 16 (and 33, ...) is constant, sd 0: measured against the values' scale, 1.
        const scale = Math.max(cpu.sd[k]!, 1);
        expect(Math.abs(gpu.mean[k]! - cpu.mean[k]!) / scale, `mean ${k}`).toBeLessThan(1e-5);
        expect(Math.abs(gpu.sd[k]! - cpu.sd[k]!) / scale, `sd ${k}`).toBeLessThan(1e-5);
      }
    } finally {
      select.destroy();
      moments.destroy();
    }
  });
});
