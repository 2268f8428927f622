/** Restarts on the host (no GPU): where each restart starts, and which one the result reports. */
import { describe, expect, it } from 'vitest';
import { findFamily } from '../../src/vi/families/registry';
import type { FamilyDescriptor } from '../../src/vi/families/types';
import { bestRestart, restartStart, START_RADIUS } from '../../src/vi/restarts';

const family = (name: string): FamilyDescriptor => {
  const f = findFamily(name);
  if (!f) throw new Error(name);
  return f;
};

describe('restartStart', () => {
  it("restart 0 is the family's initial lambda; the others move only the means", () => {
    for (const name of ['meanfield', 'fullrank', 'lowrank', 'flow']) {
      const f = family(name);
      const d = 5;
      const initial = f.initial(d);
      expect(Array.from(restartStart(f, d, 1, 0))).toEqual(Array.from(initial));
      const other = restartStart(f, d, 1, 3);
      expect(Array.from(other.slice(d))).toEqual(Array.from(initial.slice(d)));
      // The means are what the family reports as q's means (flow's marginals are estimates from 4096 fixed
      // draws: within 0.1 of a unit sd; the others exact).
      const tol = name === 'flow' ? 0.1 : 1e-6;
      const moved = f.marginals(other, d);
      const still = f.marginals(initial, d);
      moved.mean.forEach((m, i) => expect(Math.abs(m - (other[i] as number))).toBeLessThan(tol));
      moved.sd.forEach((sd, i) => expect(Math.abs(sd - (still.sd[i] as number))).toBeLessThan(tol));
    }
  });

  it('draws the means reproducibly from the seed, uniform on (-2, 2), different for each restart and seed', () => {
    const f = family('meanfield');
    const d = 4000;
    const a = restartStart(f, d, 7, 1);
    expect(Array.from(restartStart(f, d, 7, 1))).toEqual(Array.from(a));
    expect(Array.from(restartStart(f, d, 7, 2))).not.toEqual(Array.from(a));
    expect(Array.from(restartStart(f, d, 8, 1))).not.toEqual(Array.from(a));
    expect(Array.from(restartStart(f, d, 7 + 2 ** 32, 1))).not.toEqual(Array.from(a));
    const means = Array.from(a.slice(0, d));
    expect(Math.max(...means.map(Math.abs))).toBeLessThan(START_RADIUS);
    // Uniform(-2, 2): mean 0 (sd 2/sqrt(3)/sqrt(n) = 0.018), variance 4/3 (sd of the estimate ~0.02), and every
    // quarter of the interval holds about n/4 (binomial sd 27).
    const mean = means.reduce((x, y) => x + y, 0) / d;
    const variance = means.reduce((x, y) => x + (y - mean) ** 2, 0) / d;
    expect(Math.abs(mean)).toBeLessThan(5 * 0.018);
    expect(Math.abs(variance - 4 / 3)).toBeLessThan(5 * 0.02);
    for (let q = 0; q < 4; q++) {
      const inside = means.filter((m) => m >= -2 + q && m < -1 + q).length;
      expect(Math.abs(inside - d / 4)).toBeLessThan(5 * 27);
    }
  });
});

describe('bestRestart', () => {
  const r = (final: number, diverged = false) => ({ final, diverged });
  it('is the best final ELBO, the lowest index on a tie', () => {
    expect(bestRestart([r(-3), r(-1), r(-2)])).toBe(1);
    expect(bestRestart([r(-1), r(-1)])).toBe(0);
    expect(bestRestart([r(-5)])).toBe(0);
  });
  it('passes over NaN and diverged restarts unless nothing else is left', () => {
    expect(bestRestart([r(Number.NaN), r(-4)])).toBe(1);
    expect(bestRestart([r(10, true), r(-4)])).toBe(1);
    expect(bestRestart([r(-2, true), r(-1, true)])).toBe(1);
    expect(bestRestart([r(Number.NaN), r(Number.NaN)])).toBe(0);
  });
});
