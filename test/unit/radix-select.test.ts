/**
 * The host side of the GPU tail selection (src/gpu/radix-select.ts), driven by a CPU simulation of the
 * histogram and compaction passes: it must find exactly the `need` largest (value, index) pairs in loo's
 * stable order, ties and constant vectors included, within the candidate capacity.
 */
import { describe, expect, it } from 'vitest';
import {
  atOrAboveEdge,
  digitOf,
  f32FromOrderKey,
  f32OrderKey,
  matchesPrefix,
  nextStep,
  RADIX_BINS,
  START_STATE,
  type RadixSelectState,
} from '../../src/gpu/radix-select';

const bitsOf = (v: number) => new Uint32Array(Float32Array.of(v).buffer)[0]!;
const valueOf = (bits: number) => new Float32Array(Uint32Array.of(bits).buffer)[0]!;

function simulate(values: Float32Array, need: number, capacity: number) {
  const keys = Array.from(values, (v) => f32OrderKey(bitsOf(v)));
  let state: RadixSelectState = START_STATE;
  let passes = 0;
  for (;;) {
    const histogram = new Uint32Array(RADIX_BINS);
    keys.forEach((key, i) => {
      if (matchesPrefix(key, i, state.prefix)) histogram[digitOf(key, i, state.level)]! += 1;
    });
    passes++;
    const step = nextStep(state, histogram, need, capacity);
    if (step.kind === 'compact') {
      const candidates = keys.flatMap((key, i) => (atOrAboveEdge(key, i, step.edge) ? [i] : []));
      expect(candidates.length).toBe(step.expected);
      expect(candidates.length).toBeLessThanOrEqual(capacity);
      candidates.sort((a, b) => keys[a]! - keys[b]! || a - b);
      return { selected: candidates.slice(candidates.length - need), passes };
    }
    state = step.state;
  }
}

function reference(values: Float32Array, need: number): number[] {
  const order = Array.from(values.keys()).sort((a, b) => values[a]! - values[b]! || a - b);
  return order.slice(values.length - need);
}

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

describe('f32 order keys', () => {
  it('order keys as the values are ordered, and invert', () => {
    const values = [-Infinity, -3.4e38, -2, -1e-40, 0, 1e-45, 1, 2.5, 3.4e38];
    const keys = values.map((v) => f32OrderKey(bitsOf(v)));
    for (let i = 1; i < keys.length; i++) expect(keys[i]!).toBeGreaterThan(keys[i - 1]!);
    for (const v of values) expect(valueOf(f32FromOrderKey(f32OrderKey(bitsOf(v))))).toBe(Math.fround(v));
  });
});

describe('radix select plan', () => {
  it.each([
    ['continuous values', 20000, 425, 2000, (r: () => number) => Math.log(r()) * 3 + 100],
    ['values on a coarse grid (many ties)', 20000, 425, 2000, (r: () => number) => Math.floor(r() * 50)],
    ['negative values', 5000, 213, 1000, (r: () => number) => -1000 - 10 * r()],
    ['a constant vector', 5000, 213, 300, () => 7],
    ['a constant vector with the smallest capacity', 5000, 213, 213, () => -2],
    ['few values', 3, 2, 5, (r: () => number) => r()],
  ])('finds the top need of %s in stable order', (_name, count, need, capacity, draw) => {
    const r = random(count + need);
    const values = Float32Array.from({ length: count }, () => draw(r));
    const { selected, passes } = simulate(values, need, capacity);
    expect(selected).toEqual(reference(values, need));
    expect(passes).toBeLessThanOrEqual(6);
  });

  it('stops after two passes on continuous values when the capacity is ample', () => {
    const r = random(5);
    const values = Float32Array.from({ length: 100000 }, () => -Math.log(r()));
    expect(simulate(values, 950, 4 * 950).passes).toBeLessThanOrEqual(2);
  });

  it('goes down to the index digits for a constant vector', () => {
    expect(simulate(new Float32Array(4096).fill(1), 201, 201).passes).toBe(6);
    expect(simulate(new Float32Array(4096).fill(1), 200, 200).passes).toBe(5);
  });
});
