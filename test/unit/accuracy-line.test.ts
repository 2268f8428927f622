/** The page's accuracy line for a finished fit (no GPU, no DOM). */
import { describe, expect, it } from 'vitest';
import { describeAccuracy } from '../../src/ui/accuracy';
import type { FitResult } from '../../src/vi/engine';

const fit = (accuracy: FitResult['accuracy'], lr: number | 'auto' = 'auto') =>
  ({ accuracy, settings: { lr } }) as unknown as FitResult;

describe('describeAccuracy', () => {
  it('names the rule, the estimated error and the learning rate schedule', () => {
    const text = describeAccuracy(
      fit({
        rule: 'optimum',
        optimizerError: 0.0031,
        sampleError: null,
        stepSizes: [
          [0, 0.1],
          [200, 0.05],
          [300, 0.025],
        ],
        startScale: 1,
      }),
    );
    expect(text).toBe(
      "Rule: q's marginals stopped moving. Estimated optimizer error: 0.0031 sd (q's marginals, in sds). " +
        'Learning rate auto → 0.1, halved 2 times to 0.0250.',
    );
  });

  it('gives L-BFGS its sample error and no learning rate', () => {
    const text = describeAccuracy(
      fit({ rule: 'lbfgs', optimizerError: 0.0002, sampleError: 0.0096, stepSizes: [], startScale: 1 }),
    );
    expect(text).toContain('L-BFGS on fixed samples');
    expect(text).toContain('fixed samples: 0.0096 sd');
    expect(text).not.toContain('Learning rate');
    expect(text).not.toContain('Started');
  });

  it('says when q started narrower because the bound was not finite at sd 1', () => {
    const text = describeAccuracy(
      fit({ rule: 'lbfgs', optimizerError: 0.0002, sampleError: 0.0096, stepSizes: [], startScale: 0.25 }),
    );
    expect(text).toContain('Started from sd 0.25: the bound was not finite in f32 at sd 1.');
  });

  it("with restarts, says which one is shown and every restart's ELBO", () => {
    const base = fit({
      rule: 'optimum',
      optimizerError: null,
      sampleError: null,
      stepSizes: [],
      startScale: 1,
    });
    const restart = (elbo: number, converged: boolean) => ({ elbo, converged });
    const text = describeAccuracy({
      ...base,
      bound: 'ELBO',
      bestRestart: 1,
      restarts: [restart(-1.593, true), restart(-0.2493, true), restart(-1.6669, false)],
    } as unknown as FitResult);
    expect(text).toContain(
      'Restarts: 3; shown: restart 1, the best final ELBO (restart 0 … 2: -1.593, -0.249, -1.667 (not converged)).',
    );
    expect(describeAccuracy(base)).not.toContain('Restarts');
  });

  it('says nothing of an error the rule does not estimate', () => {
    const text = describeAccuracy(
      fit(
        { rule: 'stan', optimizerError: null, sampleError: null, stepSizes: [[0, 0.05]], startScale: 1 },
        0.05,
      ),
    );
    expect(text).toBe("Rule: Stan's relative ELBO tolerance. Learning rate 0.05.");
  });
});
