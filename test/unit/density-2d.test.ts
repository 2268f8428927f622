/** The joint plot's binning (no DOM, no GPU): known points into known cells, and the edge cases. */
import { describe, expect, it } from 'vitest';
import { binPairs, drawColumn } from '../../src/ui/density-2d';

/** Cell (i, j)'s count of grid g. */
const cell = (g: ReturnType<typeof binPairs>, i: number, j: number): number => g.counts[j * g.nx + i] ?? NaN;

/** Deterministic uniforms (a linear congruential generator), so the test needs no seed library. */
function uniforms(n: number, seed: number): number[] {
  const out: number[] = [];
  let s = seed >>> 0;
  for (let k = 0; k < n; k++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(s / 2 ** 32);
  }
  return out;
}

describe('binPairs', () => {
  it('counts known points into a known 2 x 2 grid; the upper edge is the last cell, outside is dropped', () => {
    const points: [number, number][] = [
      [0.5, 0.5],
      [1.5, 0.5],
      [1.5, 0.25],
      [0.5, 1.5],
      [1, 1],
      [2, 2],
      [0, 0],
      [-0.1, 1],
      [1, 2.01],
    ];
    const g = binPairs(
      points.map((p) => p[0]),
      points.map((p) => p[1]),
      { bins: 2, x: [0, 2], y: [0, 2] },
    );
    expect([g.nx, g.ny]).toEqual([2, 2]);
    expect(g.x).toEqual([0, 2]);
    expect(g.y).toEqual([0, 2]);
    // Bottom row first: (0, 0) holds (0.5, 0.5) and (0, 0); (1, 0) the two at x = 1.5; (0, 1) (0.5, 1.5);
    // (1, 1) holds (1, 1) and the corner (2, 2).
    expect(Array.from(g.counts)).toEqual([2, 2, 1, 2]);
    expect(g.binned).toBe(7);
    expect(g.max).toBe(2);
  });

  it('matches a count by explicit cell bounds on a 5 x 3 grid of random points', () => {
    const n = 2000;
    const xs = uniforms(n, 1).map((u) => -3 + 6 * u);
    const ys = uniforms(n, 2).map((u) => 10 + 4 * u * u);
    const g = binPairs(xs, ys, { bins: [5, 3], x: [-2, 2], y: [10, 13] });
    let binned = 0;
    for (let j = 0; j < 3; j++) {
      for (let i = 0; i < 5; i++) {
        const [xl, xh] = [-2 + 0.8 * i, -2 + 0.8 * (i + 1)];
        const [yl, yh] = [10 + j, 11 + j];
        let expected = 0;
        for (let k = 0; k < n; k++) {
          const x = xs[k] as number;
          const y = ys[k] as number;
          const inX = x >= xl && (x < xh || (i === 4 && x <= xh));
          const inY = y >= yl && (y < yh || (j === 2 && y <= yh));
          if (inX && inY) expected++;
        }
        expect(cell(g, i, j), `cell (${i}, ${j})`).toBe(expected);
        binned += expected;
      }
    }
    expect(g.binned).toBe(binned);
    expect(binned).toBeGreaterThan(n / 3);
    expect(g.binned).toBeLessThan(n);
  });

  it('spans the draws themselves when no span is given (trim 0: min to max)', () => {
    const g = binPairs([0, 1, 2, 3, 4], [10, 10, 10, 10, 20], { bins: 4, trim: 0 });
    expect(g.x).toEqual([0, 4]);
    expect(g.y).toEqual([10, 20]);
    expect(g.binned).toBe(5);
    // x = 0, 1, 2, 3 at y = 10 in row 0; x = 4 (the max) at y = 20 (the max) in the top right corner.
    expect([0, 1, 2, 3].map((i) => cell(g, i, 0))).toEqual([1, 1, 1, 1]);
    expect(cell(g, 3, 3)).toBe(1);
  });

  it('leaves out the trimmed tails: one far draw does not squash the rest', () => {
    const xs = uniforms(999, 3);
    const ys = uniforms(999, 4);
    xs.push(1e6);
    ys.push(0.5);
    const g = binPairs(xs, ys, { bins: 10 });
    expect(g.x[1]).toBeLessThan(1.01);
    expect(g.x[0]).toBeGreaterThan(-0.01);
    // 0.5 % of each tail of each axis at most, and the far draw among them.
    expect(g.binned).toBeLessThan(1000);
    expect(g.binned).toBeGreaterThanOrEqual(1000 - 4 * 5 - 1);
  });

  it('puts a constant column in the middle cell of a span widened about it', () => {
    const g = binPairs([3, 3, 3], [0, 1, 2], { bins: 5, trim: 0 });
    expect(g.x[0]).toBeCloseTo(2.7, 12);
    expect(g.x[1]).toBeCloseTo(3.3, 12);
    expect(g.y).toEqual([0, 2]);
    expect(cell(g, 2, 0)).toBe(1);
    expect(cell(g, 2, 2)).toBe(1);
    expect(cell(g, 2, 4)).toBe(1);
    expect(g.binned).toBe(3);
    // A column of zeros gets a unit span.
    expect(binPairs([0, 0], [1, 2], { trim: 0 }).x).toEqual([-0.5, 0.5]);
  });

  it('skips a pair with a NaN or infinite coordinate, which does not move the span either', () => {
    const g = binPairs([0, NaN, 1, 2, Infinity], [0, 5, NaN, 2, 1], { bins: 2, trim: 0 });
    expect(g.x).toEqual([0, 2]);
    expect(g.y).toEqual([0, 2]);
    expect(g.binned).toBe(2);
    expect(Array.from(g.counts)).toEqual([1, 0, 0, 1]);
    const none = binPairs([NaN, NaN], [1, 2]);
    expect(none.binned).toBe(0);
    expect(none.max).toBe(0);
    expect(Array.from(none.counts).every((c) => c === 0)).toBe(true);
  });

  it('counts one draw in the middle cell', () => {
    const g = binPairs([1.5], [-2], { bins: 3 });
    expect(g.x[0]).toBeCloseTo(1.35, 12);
    expect(g.x[1]).toBeCloseTo(1.65, 12);
    expect(g.y[0]).toBeCloseTo(-2.2, 12);
    expect(g.y[1]).toBeCloseTo(-1.8, 12);
    expect(cell(g, 1, 1)).toBe(1);
    expect(g.binned).toBe(1);
    expect(g.max).toBe(1);
  });

  it('rejects columns of different lengths, a bad grid and a bad span', () => {
    expect(() => binPairs([1, 2], [1])).toThrow(/2 x values but 1 y values/);
    expect(() => binPairs([1], [1], { bins: 0 })).toThrow(/positive integers/);
    expect(() => binPairs([1], [1], { bins: [2, 1.5] })).toThrow(/positive integers/);
    expect(() => binPairs([1], [1], { x: [1, 1] })).toThrow(/hi > lo/);
    expect(() => binPairs([1], [1], { trim: 0.5 })).toThrow(/trim/);
  });
});

describe('drawColumn', () => {
  it("reads column j of a DrawSet's padded rows", () => {
    // Three rows of stride 4: parameters a, b and a padding value.
    const values = Float32Array.from([1, 10, 0, 0, 2, 20, 0, 0, 3, 30, 0, 0]);
    expect(Array.from(drawColumn(values, 3, 4, 0))).toEqual([1, 2, 3]);
    expect(Array.from(drawColumn(values, 3, 4, 1))).toEqual([10, 20, 30]);
    expect(Array.from(drawColumn(values, 2, 4, 1))).toEqual([10, 20]);
  });
});
