/** The page's settings in the query string (no GPU, no DOM): parse, fall back field by field, round trip. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_UI_SETTINGS, parseUrlState, toQueryString } from '../../src/ui/url-state';

const MODELS = ['normal-mean', 'hmm'];

describe('URL state', () => {
  it('round-trips every setting', () => {
    const settings = {
      model: 'hmm',
      family: 'lowrank',
      rank: 4,
      objective: 'renyi:0.5:16',
      estimator: 'dreg',
      flowLayers: 6,
      flowHidden: 16,
      samples: 4096,
      lr: 0.01,
      optimizer: 'lbfgs',
      stop: 'stan' as const,
      seed: 7,
      maxSteps: 150,
      diagnosticDraws: 10_000,
      restarts: 3,
    };
    expect(parseUrlState(toQueryString(settings), MODELS)).toEqual(settings);
  });

  it('gives the defaults for an empty query', () => {
    expect(parseUrlState('', MODELS)).toEqual(DEFAULT_UI_SETTINGS);
  });

  it('falls back field by field: one bad value does not lose the others', () => {
    const parsed = parseUrlState('?model=nope&family=diagonal&samples=0&lr=-1&seed=1.5&maxSteps=20', MODELS);
    expect(parsed).toEqual({ ...DEFAULT_UI_SETTINGS, maxSteps: 20 });
    expect(parseUrlState(`?samples=${2 ** 24 + 1}&seed=abc`, MODELS)).toEqual(DEFAULT_UI_SETTINGS);
    expect(parseUrlState('?diagnosticDraws=999', MODELS)).toEqual(DEFAULT_UI_SETTINGS);
    expect(parseUrlState(`?diagnosticDraws=${2 ** 24 + 1}`, MODELS)).toEqual(DEFAULT_UI_SETTINGS);
    expect(parseUrlState('?restarts=0', MODELS)).toEqual(DEFAULT_UI_SETTINGS);
    expect(parseUrlState('?restarts=17', MODELS)).toEqual(DEFAULT_UI_SETTINGS);
    expect(parseUrlState('?restarts=2.5', MODELS)).toEqual(DEFAULT_UI_SETTINGS);
    expect(parseUrlState('?restarts=16', MODELS).restarts).toBe(16);
  });

  it('accepts only registered families', () => {
    expect(parseUrlState('?family=fullrank', MODELS).family).toBe('fullrank');
    expect(parseUrlState('?family=meanfield', MODELS).family).toBe('meanfield');
    expect(parseUrlState('?family=lowrank', MODELS).family).toBe('lowrank');
  });

  it("reads flow's layers (1 to 8) and hidden units (1 to 32), falling back to the defaults", () => {
    expect(parseUrlState('?family=flow&flowLayers=2&flowHidden=32', MODELS)).toMatchObject({
      family: 'flow',
      flowLayers: 2,
      flowHidden: 32,
    });
    expect(parseUrlState('?flowLayers=9&flowHidden=0', MODELS)).toMatchObject({
      flowLayers: DEFAULT_UI_SETTINGS.flowLayers,
      flowHidden: DEFAULT_UI_SETTINGS.flowHidden,
    });
  });

  it("reads lowrank's rank: auto or an integer in [1, 32]", () => {
    expect(parseUrlState('?rank=auto', MODELS).rank).toBe('auto');
    expect(parseUrlState('?rank=16', MODELS).rank).toBe(16);
    expect(parseUrlState('?rank=33', MODELS).rank).toBe('auto');
    expect(parseUrlState('?rank=0', MODELS).rank).toBe('auto');
  });
});

describe('URL state for the objective', () => {
  it('keeps a spelling the registry parses, as --objective takes it', () => {
    for (const objective of ['kl', 'iw:8', 'iw:1', 'renyi:0.5', 'renyi:-1:4']) {
      expect(parseUrlState(`?objective=${encodeURIComponent(objective)}`, MODELS).objective).toBe(objective);
    }
    expect(toQueryString({ ...DEFAULT_UI_SETTINGS, objective: 'iw:8' })).toContain('objective=iw%3A8');
  });

  it('falls back to kl for an unknown name or a bad argument, keeping the other fields', () => {
    for (const bad of ['iw', 'iw:0', 'iw:4097', 'iw:2.5', 'renyi:1', 'renyi:x', 'kl:3', 'elbo', '']) {
      const parsed = parseUrlState(`?objective=${encodeURIComponent(bad)}&seed=9`, MODELS);
      expect(parsed.objective, bad).toBe('kl');
      expect(parsed.seed).toBe(9);
    }
  });
});

describe('URL state for the estimator', () => {
  it("keeps an estimator the objective offers, else gives the objective's default", () => {
    expect(parseUrlState('?estimator=stl', MODELS).estimator).toBe('stl');
    expect(parseUrlState('?objective=iw%3A8&estimator=dreg', MODELS)).toMatchObject({
      objective: 'iw:8',
      estimator: 'dreg',
    });
    // stl is kl's, not iw's; dreg is the weighted bounds', not kl's.
    expect(parseUrlState('?objective=iw%3A8&estimator=stl', MODELS).estimator).toBe('entropy');
    expect(parseUrlState('?estimator=dreg', MODELS).estimator).toBe('entropy');
    // A rejected objective falls back to kl, and its estimator with it.
    expect(parseUrlState('?objective=iw%3A0&estimator=dreg', MODELS)).toMatchObject({
      objective: 'kl',
      estimator: 'entropy',
    });
    expect(parseUrlState('?estimator=nope', MODELS).estimator).toBe(DEFAULT_UI_SETTINGS.estimator);
  });
});

describe('URL state for the optimizer', () => {
  it('reads lr=auto, a registered optimizer and a stopping rule, and ignores unknown ones', () => {
    expect(parseUrlState('?lr=auto&optimizer=lbfgs&stop=mcse', MODELS)).toMatchObject({
      lr: 'auto',
      optimizer: 'lbfgs',
      stop: 'mcse',
    });
    expect(parseUrlState('?optimizer=sgd&stop=early', MODELS)).toMatchObject({
      optimizer: DEFAULT_UI_SETTINGS.optimizer,
      stop: DEFAULT_UI_SETTINGS.stop,
    });
  });
});
