import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBuffer } from '../../src/gpu/buffers';
import type { GpuContext } from '../../src/gpu/device';
import { philoxBatch } from '../../src/gpu/rng';
import { philox4x32_10 } from '../reference/philox';
import philoxSource from '../../shaders/rng/philox.wgsl?raw';
import { testDevice } from './gpu-context';

// Random123's known-answer vectors for philox4x32, 10 rounds (kat_vectors).
const KNOWN_ANSWERS = [
  { counter: [0, 0, 0, 0], key: [0, 0], words: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8] },
  {
    counter: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    key: [0xffffffff, 0xffffffff],
    words: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  },
  {
    counter: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    key: [0xa4093822, 0x299f31d0],
    words: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  },
];

async function runBatch(
  ctx: GpuContext,
  pairs: { counter: number[]; key: number[] }[],
): Promise<Uint32Array> {
  const inputs = new Uint32Array(pairs.length * 8);
  pairs.forEach(({ counter, key }, i) => {
    inputs.set(counter, i * 8);
    inputs.set(key, i * 8 + 4);
  });
  const words = await philoxBatch(ctx, inputs);
  const out = new Uint32Array(await readBuffer(ctx.device, words));
  words.destroy();
  return out;
}

describe('Philox4x32-10 in WGSL (shaders/rng/philox.wgsl)', () => {
  let ctx: GpuContext;
  beforeAll(async () => {
    ctx = await testDevice();
  });
  afterAll(() => ctx?.device.destroy());

  it('the BigInt reference reproduces the known-answer vectors', () => {
    for (const { counter, key, words } of KNOWN_ANSWERS) expect(philox4x32_10(counter, key)).toEqual(words);
  });

  it('compiles on its own, pasted unchanged into another program', async () => {
    const code = `${philoxSource}
@group(0) @binding(0) var<storage, read_write> out: array<vec4<f32>>;
@compute @workgroup_size(1) fn main() { out[0] = philox_normal4(vec4<u32>(1u, 2u, 3u, 4u), vec2<u32>(5u, 6u)); }`;
    const module = ctx.device.createShaderModule({ label: 'philox standalone', code });
    const info = await module.getCompilationInfo();
    expect(info.messages.filter((m) => m.type === 'error').map((m) => m.message)).toEqual([]);
  });

  it("matches Random123's three known-answer vectors bit for bit", async () => {
    const out = await runBatch(ctx, KNOWN_ANSWERS);
    KNOWN_ANSWERS.forEach(({ words }, i) =>
      expect(Array.from(out.subarray(i * 4, i * 4 + 4))).toEqual(words),
    );
  });

  it('matches the BigInt reference on 10^4 random counters and keys', async () => {
    // Deterministic pseudo-random inputs (xorshift32) with words that exercise every bit and carry.
    let state = 0x12345678;
    const next = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return state >>> 0;
    };
    const pairs = Array.from({ length: 10_000 }, () => ({
      counter: [next(), next(), next(), next()],
      key: [next(), next()],
    }));
    const out = await runBatch(ctx, pairs);
    let mismatches = 0;
    pairs.forEach(({ counter, key }, i) => {
      const expected = philox4x32_10(counter, key);
      for (let w = 0; w < 4; w++) if (out[i * 4 + w] !== expected[w]) mismatches++;
    });
    expect(mismatches).toBe(0);
  });
});
