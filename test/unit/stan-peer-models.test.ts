import { describe, expect, it } from 'vitest';
import { dataFingerprint } from '../../bench/accuracy/data';
import { accuracyWorkload, type AccuracyWorkloadName } from '../../bench/accuracy/workloads';
import fixture from '../../bench/peers/stan/log-prob-check.json';
import { referenceModelFor } from '../../bench/peers/stan/reference-models';
import { LOG_PROB_OFFSET } from '../../bench/peers/stan/stan';

// The Stan peer must fit the same posterior as our models: rstan's log_prob (recorded by
// bench/peers/stan/check-log-prob.ts, so this runs without R) against our float64 reference models.
describe('Stan peer models define our posteriors', () => {
  it('covers every accuracy workload', () => {
    expect(fixture.workloads.map((w) => w.name).sort()).toEqual(
      ['eight-schools', 'hmm', 'linreg-correlated', 'logistic', 'normal-mean'].sort(),
    );
  });

  for (const entry of fixture.workloads) {
    it(`${entry.name}: log p and its gradient match rstan's up to the stated constant`, () => {
      const workload = accuracyWorkload(entry.name as AccuracyWorkloadName);
      expect(dataFingerprint(workload.data), 'rerun check-log-prob.ts: the data changed').toBe(
        entry.dataFingerprint,
      );
      expect(entry.offset).toBe(LOG_PROB_OFFSET[workload.model]);
      const model = referenceModelFor(workload.model, workload.data);
      entry.points.forEach((z, i) => {
        const ours = model.logJoint(Float64Array.from(z));
        const stanLp = entry.logProb[i] as number;
        expect(Math.abs(ours.lp - stanLp - entry.offset)).toBeLessThan(1e-9 * (1 + Math.abs(stanLp)));
        const stanGrad = entry.gradLogProb[i] as number[];
        expect(stanGrad.length).toBe(ours.grad.length);
        ours.grad.forEach((g, j) => {
          expect(Math.abs(g - (stanGrad[j] as number))).toBeLessThan(1e-9 * (1 + Math.abs(g)));
        });
      });
    });
  }
});
