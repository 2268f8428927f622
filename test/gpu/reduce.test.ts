import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuffer, readBuffer, STORAGE } from '../../src/gpu/buffers';
import type { GpuContext } from '../../src/gpu/device';
import { ColumnSum } from '../../src/gpu/reduce';
import type { ReducePath } from '../../src/gpu/shader-library';
import { testDevice } from './gpu-context';

/** Deterministic uniform doubles in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function columnSums(ctx: GpuContext, sum: ColumnSum, values: Float32Array, rows: number) {
  const input = createBuffer(ctx.device, { label: 'values', usage: STORAGE, data: values });
  const totals = createBuffer(ctx.device, { label: 'totals', usage: STORAGE, size: sum.totalsBytes });
  const encoder = ctx.device.createCommandEncoder();
  sum.encode(encoder, input, rows, totals);
  ctx.device.queue.submit([encoder.finish()]);
  const out = new Float32Array(await readBuffer(ctx.device, totals));
  input.destroy();
  totals.destroy();
  return out;
}

/** Float64 column sums and sums of magnitudes of the same f32 values. */
function reference(values: Float32Array, columns: number) {
  const sums = new Float64Array(columns);
  const magnitudes = new Float64Array(columns);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    const column = i % columns;
    sums[column] = (sums[column] as number) + v;
    magnitudes[column] = (magnitudes[column] as number) + Math.abs(v);
  }
  return { sums, magnitudes };
}

const N = 10_000_000;
const datasets: { name: string; make: () => Float32Array }[] = [
  {
    name: 'random signs and magnitudes over 6 decades',
    make: () => {
      const r = random(1);
      return Float32Array.from({ length: N }, () => (r() < 0.5 ? -1 : 1) * 10 ** (6 * r() - 3));
    },
  },
  {
    name: 'positive magnitudes over 6 decades',
    make: () => {
      const r = random(2);
      return Float32Array.from({ length: N }, () => 10 ** (6 * r() - 3));
    },
  },
  { name: 'all equal (0.1)', make: () => new Float32Array(N).fill(0.1) },
  {
    name: 'one huge among many tiny',
    make: () => {
      const values = new Float32Array(N).fill(1e-3);
      values[N >> 1] = 1e9;
      return values;
    },
  },
];

describe.each<ReducePath>(['tree', 'subgroups'])('workgroup reduction, %s path', (path) => {
  let ctx: GpuContext;
  let sum: ColumnSum;
  let sum33: ColumnSum;
  beforeAll(async () => {
    ctx = await testDevice();
    // In CI the subgroup path must be tested: SwiftShader and every modern GPU adapter have subgroups.
    expect(ctx.features.subgroups || path === 'tree').toBe(true);
    sum = await ColumnSum.create(ctx, { columns: 1, path });
    sum33 = await ColumnSum.create(ctx, { columns: 33, path });
  });
  afterAll(() => ctx?.device.destroy());

  it.each(datasets)('sums 10^7 f32 values: $name', async ({ name, make }) => {
    const values = make();
    const [gpu] = await columnSums(ctx, sum, values, N);
    const { sums, magnitudes } = reference(values, 1);
    const exact = sums[0] as number;
    const error = Math.abs((gpu as number) - exact);
    // The sums are compensated (shaders/reduce/compensated.wgsl), so 1e-6 relative holds even where
    // cancellation (sum|x| >> |sum|) would defeat a plain f32 tree, whose bound is depth * eps * sum|x|.
    const condition = (magnitudes[0] as number) / Math.abs(exact);
    console.info(
      `[webgpu-vi] ${path} ${name}: relative error ${(error / Math.abs(exact)).toExponential(2)}, ` +
        `condition number ${condition.toExponential(2)}`,
    );
    expect(error).toBeLessThanOrEqual(1e-6 * Math.abs(exact));
  });

  it('reduces K = 33 values per thread at once', async () => {
    const rows = 300_001;
    const r = random(33);
    const values = Float32Array.from({ length: rows * 33 }, (_, i) => (i % 33) + r());
    const gpu = await columnSums(ctx, sum33, values, rows);
    const { sums } = reference(values, 33);
    for (let k = 0; k < 33; k++) {
      expect(Math.abs((gpu[k] as number) - (sums[k] as number))).toBeLessThanOrEqual(
        1e-6 * (sums[k] as number),
      );
    }
  });

  it('gives bitwise-identical results on two runs', async () => {
    const r = random(7);
    const rows = 300_007;
    const values = Float32Array.from({ length: rows * 33 }, () => r() - 0.5);
    const first = await columnSums(ctx, sum33, values, rows);
    const second = await columnSums(ctx, sum33, values, rows);
    expect(Array.from(second)).toEqual(Array.from(first));
  });
});

describe('several sums recorded before one submit', () => {
  it('each sums its own rows', async () => {
    const ctx = await testDevice();
    const sum = await ColumnSum.create(ctx, { columns: 4 });
    const sizes = [1000, 70_000, 3];
    const inputs = sizes.map((rows, i) =>
      createBuffer(ctx.device, {
        label: `values ${i}`,
        usage: STORAGE,
        data: Float32Array.from({ length: rows * 4 }, () => i + 1),
      }),
    );
    const totals = sizes.map((_, i) =>
      createBuffer(ctx.device, { label: `totals ${i}`, usage: STORAGE, size: sum.totalsBytes }),
    );
    const encoder = ctx.device.createCommandEncoder();
    sizes.forEach((rows, i) => sum.encode(encoder, inputs[i] as GPUBuffer, rows, totals[i] as GPUBuffer));
    ctx.device.queue.submit([encoder.finish()]);
    for (const [i, rows] of sizes.entries()) {
      const out = new Float32Array(await readBuffer(ctx.device, totals[i] as GPUBuffer));
      expect(Array.from(out)).toEqual(Array(4).fill(rows * (i + 1)));
    }
    ctx.device.destroy();
  });
});

describe('the subgroup and shared-memory paths', () => {
  it('agree on the same data', async () => {
    const ctx = await testDevice();
    const tree = await ColumnSum.create(ctx, { columns: 33, path: 'tree' });
    const subgroups = await ColumnSum.create(ctx, { columns: 33, path: 'subgroups' });
    const r = random(11);
    const rows = 200_000;
    const values = Float32Array.from({ length: rows * 33 }, () => r());
    const a = await columnSums(ctx, tree, values, rows);
    const b = await columnSums(ctx, subgroups, values, rows);
    for (let k = 0; k < 33; k++) {
      expect(Math.abs((a[k] as number) - (b[k] as number))).toBeLessThanOrEqual(1e-6 * (a[k] as number));
    }
    ctx.device.destroy();
  });
});
