import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuffer, readBuffer, STORAGE } from '../../src/gpu/buffers';
import type { GpuContext } from '../../src/gpu/device';
import { RandomFill } from '../../src/gpu/rng';
import { correlation, kolmogorovSmirnov, moments, normalCdf } from '../reference/stats';
import { testDevice } from './gpu-context';

const DRAWS = 2 ** 22;
const KEY: [number, number] = [0xdecafbad, 0x5eed];

async function fill(ctx: GpuContext, fillPass: RandomFill, count: number, key: [number, number], stream = 0) {
  const out = createBuffer(ctx.device, { label: 'draws', usage: STORAGE, size: count * 4 });
  const encoder = ctx.device.createCommandEncoder();
  fillPass.encode(encoder, out, count, key, stream);
  ctx.device.queue.submit([encoder.finish()]);
  const values = new Float32Array(await readBuffer(ctx.device, out));
  out.destroy();
  return values;
}

/** Every 4th value starting at `lane`, skipping `offsetBlocks` blocks: one output lane of the generator. */
function lane(values: Float32Array, laneIndex: number, offsetBlocks = 0, blocks = values.length / 4 - 1) {
  const out = new Float64Array(blocks);
  for (let i = 0; i < blocks; i++) out[i] = values[(i + offsetBlocks) * 4 + laneIndex] as number;
  return out;
}

describe('standard normals by Box-Muller on Philox (2^22 draws)', () => {
  let ctx: GpuContext;
  let normals: Float32Array;
  let normalFill: RandomFill;

  beforeAll(async () => {
    ctx = await testDevice();
    normalFill = await RandomFill.create(ctx, 'normal');
    normals = await fill(ctx, normalFill, DRAWS, KEY);
  });
  afterAll(() => ctx?.device.destroy());

  it('are all finite', () => {
    expect(normals.every(Number.isFinite)).toBe(true);
  });

  it('have mean 0, variance 1, skewness 0 and excess kurtosis 0 within 5 standard errors', () => {
    const m = moments(normals);
    const n = m.n;
    // Standard errors of the sample moments of N(0,1): sqrt(1/n), sqrt(2/n), sqrt(6/n), sqrt(24/n).
    expect(Math.abs(m.mean)).toBeLessThan(5 * Math.sqrt(1 / n));
    expect(Math.abs(m.variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(m.skewness)).toBeLessThan(5 * Math.sqrt(6 / n));
    expect(Math.abs(m.excessKurtosis)).toBeLessThan(5 * Math.sqrt(24 / n));
  });

  it('pass a Kolmogorov-Smirnov test against N(0,1) with p > 0.001', () => {
    const { d, p } = kolmogorovSmirnov(normals, normalCdf);
    console.info(
      `[webgpu-vi] KS: D = ${d.toExponential(3)}, p = ${p.toFixed(4)} over ${normals.length} draws`,
    );
    expect(p).toBeGreaterThan(0.001);
  });

  it('are uncorrelated across the four lanes and neighbouring counters', () => {
    const limit = 5 / Math.sqrt(DRAWS / 4);
    for (let a = 0; a < 4; a++) {
      // The same lane of counter i and counter i + 1.
      expect(Math.abs(correlation(lane(normals, a, 0), lane(normals, a, 1)))).toBeLessThan(limit);
      for (let b = a + 1; b < 4; b++) {
        expect(Math.abs(correlation(lane(normals, a), lane(normals, b)))).toBeLessThan(limit);
      }
    }
  });

  it('are uncorrelated between neighbouring keys and between streams', async () => {
    const count = 2 ** 20;
    const base = normals.subarray(0, count);
    const otherKey = await fill(ctx, normalFill, count, [KEY[0] + 1, KEY[1]]);
    const otherStream = await fill(ctx, normalFill, count, KEY, 1);
    const limit = 5 / Math.sqrt(count);
    expect(Math.abs(correlation(base, otherKey))).toBeLessThan(limit);
    expect(Math.abs(correlation(base, otherStream))).toBeLessThan(limit);
  });

  it('keep their own parameters when several fills are recorded before one submit', async () => {
    const count = 4096;
    const outs = [0, 1, 2].map((i) =>
      createBuffer(ctx.device, { label: `draws ${i}`, usage: STORAGE, size: count * 4 }),
    );
    const encoder = ctx.device.createCommandEncoder();
    outs.forEach((out, i) => normalFill.encode(encoder, out, count, [KEY[0] + i, KEY[1]]));
    ctx.device.queue.submit([encoder.finish()]);
    const together = await Promise.all(
      outs.map(async (o) => new Float32Array(await readBuffer(ctx.device, o))),
    );
    outs.forEach((o) => o.destroy());
    await ctx.device.queue.onSubmittedWorkDone();
    normalFill.recycle();
    for (const [i, values] of together.entries()) {
      const alone = await fill(ctx, normalFill, count, [KEY[0] + i, KEY[1]]);
      expect(Array.from(values)).toEqual(Array.from(alone));
    }
    expect(Array.from(together[0] as Float32Array)).not.toEqual(Array.from(together[1] as Float32Array));
  });

  it('are reproducible: the same key gives the same bits', async () => {
    const again = await fill(ctx, normalFill, 2 ** 16, KEY);
    expect(Buffer.from(again.buffer).equals(Buffer.from(normals.buffer, 0, 2 ** 18))).toBe(true);
  });

  it('come from uniforms that are never exactly 0 or 1 and have mean 1/2, variance 1/12', async () => {
    const uniformFill = await RandomFill.create(ctx, 'uniform');
    const uniforms = await fill(ctx, uniformFill, DRAWS, KEY);
    let min = 1;
    let max = 0;
    for (const u of uniforms) {
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(min).toBeGreaterThan(0);
    expect(max).toBeLessThan(1);
    const m = moments(uniforms);
    expect(Math.abs(m.mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / DRAWS));
    expect(Math.abs(m.variance - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / DRAWS));
    uniformFill.destroy();
  });
});
