/** Settings resolution (no GPU): defaults, every field's check, the registries' names. */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  diagnosticDrawsFor,
  fitComponents,
  oneOf,
  resolveSettings,
  SettingsError,
} from '../../src/vi/settings';

describe('resolveSettings', () => {
  it('fills the defaults and resolves the default components', () => {
    const s = resolveSettings();
    expect(s).toEqual(DEFAULT_SETTINGS);
    const c = fitComponents(s);
    expect([c.family.name, c.objective.name, c.optimizer.name]).toEqual(['meanfield', 'kl', 'lbfgs']);
  });

  it.each([
    [
      { family: 'diagonal' },
      /setting "family": expected "meanfield", "fullrank", "lowrank" or "flow", got "diagonal"/,
    ],
    [{ objective: 'tv' }, /setting "objective": expected "kl"/],
    [{ optimizer: 'sgd' }, /setting "optimizer": expected "adam" or "lbfgs"/],
    [{ estimator: 'score' }, /setting "estimator": expected "entropy" or "stl" \(for objective "kl"\)/],
    [{ samples: 0 }, /setting "samples": expected an integer in \[1, 16777216\]/],
    [{ samples: 1.5 }, /"samples"/],
    [{ maxSteps: 0 }, /"maxSteps"/],
    [{ seed: -1 }, /"seed"/],
    [{ seed: 2 ** 53 }, /"seed"/],
    [{ lr: 0 }, /setting "lr": expected a learning rate > 0 or "auto"/],
    [{ stop: 'early' }, /setting "stop": expected "optimum", "stan" or "mcse"/],
    [{ tolSd: 0 }, /"tolSd"/],
    [{ rank: 0 }, /setting "rank": expected an integer in \[1, 32\]/],
    [{ rank: 2.5 }, /"rank"/],
    [{ family: 'flow', flowLayers: 0 }, /setting "flowLayers": expected an integer in \[1, 8\]/],
    [{ family: 'flow', flowHidden: 33 }, /setting "flowHidden": expected an integer in \[1, 32\]/],
    [
      { optimizer: 'lbfgs', estimator: 'stl' },
      /setting "estimator": expected "entropy" with optimizer "lbfgs"/,
    ],
    [{ optimizer: 'lbfgs', clip: 1 }, /setting "clip": expected 0 with optimizer "lbfgs"/],
    [{ restarts: 0 }, /setting "restarts": expected an integer in \[1, 16\], got 0/],
    [{ restarts: 17 }, /setting "restarts": expected an integer in \[1, 16\]/],
    [{ restarts: 2.5, optimizer: 'adam' }, /setting "restarts": expected an integer/],
    [{ restarts: '4' as unknown as number, optimizer: 'adam' }, /setting "restarts": expected an integer/],
    [
      { restarts: 2, optimizer: 'lbfgs' },
      /setting "restarts": expected 1 with optimizer "lbfgs" \(restarts advance together on the GPU: use optimizer "adam"\), got 2/,
    ],
    [{ pool: 'mixture' as never }, /setting "pool": expected "best" or "resample", got "mixture"/],
    [{ objective: 'tv' }, /expected "kl", "iw:K" or "renyi:ALPHA\[:K\]"/],
    [{ objective: 'kl:2' }, /setting "objective": expected "kl" \(it takes no argument\)/],
    [{ objective: 'iw' }, /setting "objective": expected "iw:K" with K an integer in \[1, 4096\]/],
    [{ objective: 'iw:0' }, /"iw:K"/],
    [{ objective: 'iw:2.5' }, /"iw:K"/],
    [{ objective: 'renyi:1' }, /ALPHA a finite number other than 1/],
    [{ objective: 'renyi:x' }, /"renyi:ALPHA"/],
    [{ objective: 'renyi:0.5:4:1' }, /"renyi:ALPHA"/],
    [{ objective: 'iw:8', samples: 100 }, /setting "samples": expected a multiple of 8/],
    [{ objective: 'renyi:0.5', samples: 100 }, /a multiple of 8/],
    [
      { objective: 'iw:4', estimator: 'dreg', optimizer: 'lbfgs' },
      /setting "estimator": expected "entropy" with optimizer "lbfgs" \(dreg needs a stochastic optimizer/,
    ],
    [{ objective: 'iw:4', family: 'lowrank' }, /lowrank family's entropy term .* use estimator "dreg"/],
    [{ lr: Number.NaN }, /"lr"/],
    [{ beta1: 1 }, /"beta1": expected a number in \[0, 1\)/],
    [{ beta2: -0.1 }, /"beta2"/],
    [{ epsilon: 0 }, /"epsilon"/],
    [{ clip: -1 }, /"clip"/],
    [{ tol: 0 }, /"tol"/],
    [{ evalEvery: 1 }, /"evalEvery"/],
    [{ stepsPerSubmit: 0 }, /"stepsPerSubmit"/],
    [{ draws: 999 }, /"draws"/],
    [{ diagnosticDraws: 999 }, /setting "diagnosticDraws": expected an integer in \[1000, 16777216\]/],
    [{ diagnosticDraws: 2 ** 24 + 1 }, /"diagnosticDraws"/],
  ])('%o is refused, naming the field', (partial, message) => {
    expect(() => resolveSettings(partial as never)).toThrow(SettingsError);
    expect(() => resolveSettings(partial as never)).toThrow(message);
  });

  it('resolves an objective with its argument: group size, bound name, estimators', () => {
    const iw = fitComponents(resolveSettings({ objective: 'iw:8' })).objective;
    expect([iw.name, iw.group, iw.boundName]).toEqual(['iw', 8, 'IW bound (K = 8)']);
    const renyi = fitComponents(
      resolveSettings({ objective: 'renyi:0.5', optimizer: 'adam', estimator: 'dreg' }),
    ).objective;
    expect([renyi.name, renyi.group, renyi.boundName]).toEqual([
      'renyi',
      8,
      'Renyi bound (alpha = 0.5, K = 8)',
    ]);
    expect(fitComponents(resolveSettings({ objective: 'renyi:-1:2', samples: 64 })).objective.group).toBe(2);
    const lowrank = resolveSettings({
      family: 'lowrank',
      objective: 'iw:4',
      optimizer: 'adam',
      estimator: 'dreg',
    });
    expect(fitComponents(lowrank).objective.constants('dreg')).toMatchObject({
      OBJECTIVE_GROUP: 4,
      WEIGHTED_DREG: true,
    });
    expect(fitComponents(resolveSettings()).objective.group ?? 1).toBe(1);
  });

  it('keeps what it was given', () => {
    expect(
      resolveSettings({ family: 'fullrank', optimizer: 'adam', estimator: 'stl', samples: 7 }),
    ).toMatchObject({
      family: 'fullrank',
      estimator: 'stl',
      samples: 7,
    });
  });

  it('defaults to Adam where a setting needs a stochastic optimizer, and to L-BFGS otherwise', () => {
    expect(resolveSettings().optimizer).toBe('lbfgs');
    expect(resolveSettings({ restarts: 1 }).optimizer).toBe('lbfgs');
    expect(resolveSettings({ restarts: 4 }).optimizer).toBe('adam');
    expect(resolveSettings({ clip: 5 }).optimizer).toBe('adam');
    expect(resolveSettings({ estimator: 'stl' }).optimizer).toBe('adam');
    expect(resolveSettings({ estimator: 'entropy' }).optimizer).toBe('lbfgs');
    expect(resolveSettings({ objective: 'iw:4', estimator: 'dreg' }).optimizer).toBe('adam');
    // A named optimizer is kept, and checked against the rest.
    expect(resolveSettings({ restarts: 4, optimizer: 'adam' }).optimizer).toBe('adam');
    expect(() => resolveSettings({ restarts: 4, optimizer: 'lbfgs' })).toThrow(/setting "restarts"/);
  });
});

describe('oneOf', () => {
  it('lists names as a sentence', () => {
    expect(oneOf(['a'])).toBe('"a"');
    expect(oneOf(['a', 'b'])).toBe('"a" or "b"');
    expect(oneOf(['a', 'b', 'c'])).toBe('"a", "b" or "c"');
  });
});

describe('diagnosticDrawsFor', () => {
  it('gives "auto" 10^6 draws on a GPU and 10^5 on a CPU adapter, and keeps a number', () => {
    expect(resolveSettings().diagnosticDraws).toBe('auto');
    expect(diagnosticDrawsFor('auto', false)).toBe(1_000_000);
    expect(diagnosticDrawsFor('auto', true)).toBe(100_000);
    expect(diagnosticDrawsFor(5000, true)).toBe(5000);
    expect(resolveSettings({ diagnosticDraws: 'auto' }).diagnosticDraws).toBe('auto');
  });
});
