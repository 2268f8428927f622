/** The stopping rules on synthetic ELBO traces (no GPU). */
import { describe, expect, it } from 'vitest';
import { ConvergenceMonitor, marginalChange, OptimumRule, type StopReason } from '../../src/vi/convergence';

/** Feeds `values` (with the given per-step MCSE) until a rule fires; returns the step and the reason. */
function run(values: (step: number) => number, mcse: number, tol: number, steps = 20_000) {
  const monitor = new ConvergenceMonitor(tol, 50);
  for (let step = 0; step < steps; step++) {
    const reason: StopReason | undefined = monitor.push({ step, elbo: values(step), mcse });
    if (reason) return { step, reason };
  }
  return { step: steps, reason: undefined };
}

/** A deterministic standard normal stream (Box-Muller over a linear congruential generator). */
function normals(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

describe('ConvergenceMonitor', () => {
  it('stops pure noise around a constant by the MCSE rule within a few windows', () => {
    const noise = normals(1);
    const { step, reason } = run(() => -100 + 0.01 * noise(), 0.01, 1e-9);
    expect(reason).toBe('mcse');
    expect(step).toBeLessThan(500);
  });

  it('does not stop a steady climb that is large against its noise', () => {
    const noise = normals(2);
    const { reason } = run((s) => -1000 + 0.05 * s + 0.01 * noise(), 0.01, 1e-9, 5000);
    expect(reason).toBeUndefined();
  });

  it("applies Stan's relative tolerance: a slow climb stops once its relative change is below tol", () => {
    const { reason } = run((s) => -1000 + 10 * Math.log1p(s), 1e-12, 0.01);
    expect(reason).toMatch(/^relative-tolerance-(mean|median)$/);
  });

  it('needs two quiet checks in a row for the MCSE rule', () => {
    // Window means 1, 1 + 1e-6 (quiet), 5 (a jump), 5 + 1e-6 (quiet), 5 + 2e-6 (quiet again: stop). The
    // relative changes stay far above tol, so only the MCSE rule can fire.
    const monitor = new ConvergenceMonitor(1e-12, 2);
    const windows = [1, 1 + 1e-6, 5, 5 + 1e-6, 5 + 2e-6];
    const reasons = windows.flatMap((elbo, w) => [
      monitor.push({ step: 2 * w, elbo, mcse: 0.1 }),
      monitor.push({ step: 2 * w + 1, elbo, mcse: 0.1 }),
    ]);
    expect(reasons).toEqual([...Array<undefined>(9).fill(undefined), 'mcse']);
  });
});

describe('OptimumRule', () => {
  const noise = normals(9);
  /** A window: ELBO mean around `elbo` (noise within its standard error), marginals at `means` with sd 1. */
  const window = (elbo: number, means: number[], sds = means.map(() => 1)) => ({
    elbo: { mean: elbo + 0.0005 * noise(), se: 0.001 },
    mean: means,
    sd: sds,
  });

  it('stops pure noise: q jittering far below tolSd with a flat ELBO, at the third window', () => {
    const rule = new OptimumRule(0.01);
    const decisions = [0, 1, 2, 3].map(() =>
      rule.push(window(-50, [1 + 0.001 * noise(), -2 + 0.001 * noise()])),
    );
    expect(decisions.map((d) => d.stop)).toEqual([false, false, true, true]);
    expect(decisions[2]?.movement).toBeLessThan(0.01);
    expect(decisions[1]?.decay).toBe(true);
  });

  it('never stops a slow drift of the means, however flat the ELBO, and asks for smaller steps', () => {
    const rule = new OptimumRule(0.01);
    for (let k = 0; k < 200; k++) {
      const d = rule.push(window(-50, [0.02 * k, 3]));
      expect(d.stop).toBe(false);
      if (k > 0) {
        expect(d.movement).toBeCloseTo(0.02, 9);
        expect(d.decay).toBe(true);
      }
    }
  });

  it('never stops while an sd still drifts by 2 % a window', () => {
    const rule = new OptimumRule(0.01);
    for (let k = 0; k < 100; k++) expect(rule.push(window(-50, [0], [1.02 ** k])).stop).toBe(false);
  });

  it('neither stops nor decays while the ELBO still climbs beyond its noise', () => {
    const rule = new OptimumRule(0.01);
    for (let k = 0; k < 50; k++) {
      const d = rule.push(window(-50 + 0.1 * k, [1, 2]));
      expect(d.stop).toBe(false);
      if (k > 0) expect(d.decay).toBe(false);
    }
  });

  it('stops once a shrinking movement (as the learning rate halves) stays below tolSd, and reports it', () => {
    const rule = new OptimumRule(0.01);
    let mean = 0;
    let last = { stop: false, decay: false, movement: Number.POSITIVE_INFINITY };
    let k = 0;
    for (; k < 40 && !last.stop; k++) {
      mean += 0.2 * 0.5 ** k;
      last = rule.push(window(-50, [mean]));
    }
    expect(last.stop).toBe(true);
    expect(last.movement).toBeLessThan(0.01);
    expect(k).toBeLessThan(12);
  });
});

describe('marginalChange', () => {
  it('is the largest mean change in sds or relative sd change (as a log)', () => {
    const a = { mean: [1, 2], sd: [1, 2] };
    expect(marginalChange({ mean: [1.1, 2], sd: [1, 2] }, a)).toBeCloseTo(0.1, 12);
    expect(marginalChange({ mean: [1, 2.4], sd: [1, 2] }, a)).toBeCloseTo(0.2, 12);
    expect(marginalChange({ mean: [1, 2], sd: [1, 2.2] }, a)).toBeCloseTo(Math.log(1.1), 12);
    expect(marginalChange({ mean: [Number.NaN, 2], sd: [1, 2] }, a)).toBe(Number.POSITIVE_INFINITY);
  });
});
