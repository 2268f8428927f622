/** The stopping rules on synthetic ELBO traces (no GPU). */
import { describe, expect, it } from 'vitest';
import { ConvergenceMonitor, type StopReason } from '../../src/vi/convergence';

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
