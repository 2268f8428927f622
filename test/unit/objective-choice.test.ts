/** The page's objective field (no DOM): spelling it from its parts, and the registry's verdict on it. */
import { describe, expect, it } from 'vitest';
import {
  argumentPlaceholder,
  checkObjective,
  estimatorChoices,
  estimatorFor,
  joinObjective,
  objectiveChoices,
  splitObjective,
  suggestedArgument,
  takesArgument,
} from '../../src/ui/objective-choice';
import { findObjective, objectiveNames } from '../../src/vi/objectives/registry';

describe('the objective field', () => {
  it('offers every registered objective, in the registry order', () => {
    expect(objectiveChoices().map((c) => c.value)).toEqual(objectiveNames());
    expect(objectiveChoices().map((c) => c.value)).toEqual(expect.arrayContaining(['kl', 'iw', 'renyi']));
  });

  it('splits at the first colon and joins back', () => {
    expect(splitObjective('kl')).toEqual({ name: 'kl', argument: '' });
    expect(splitObjective('iw:8')).toEqual({ name: 'iw', argument: '8' });
    expect(splitObjective('renyi:0.5:16')).toEqual({ name: 'renyi', argument: '0.5:16' });
    expect(joinObjective('iw', ' 8 ')).toBe('iw:8');
    expect(joinObjective('kl', '')).toBe('kl');
    expect(joinObjective('renyi', '0.5:16')).toBe('renyi:0.5:16');
  });

  it("reads which objectives take an argument, and its placeholder, from the registry's usage", () => {
    expect(takesArgument('kl')).toBe(false);
    expect(takesArgument('iw')).toBe(true);
    expect(takesArgument('renyi')).toBe(true);
    expect(argumentPlaceholder('iw')).toBe('K');
    expect(argumentPlaceholder('renyi')).toBe('ALPHA[:K]');
    expect(argumentPlaceholder('kl')).toBe('');
  });

  it('suggests arguments the parser accepts', () => {
    for (const name of objectiveNames().filter(takesArgument)) {
      expect(checkObjective(joinObjective(name, suggestedArgument(name))), name).toHaveProperty('bound');
    }
  });

  it("names the bound as the result does, or says what was expected in the parser's words", () => {
    expect(checkObjective('kl')).toEqual({ bound: 'ELBO' });
    expect(checkObjective('iw:8')).toEqual({ bound: 'IW bound (K = 8)' });
    expect(checkObjective('renyi:0.5:16')).toEqual({ bound: 'Renyi bound (alpha = 0.5, K = 16)' });
    expect(checkObjective('iw:0')).toEqual({
      error: 'Objective "iw:0": expected "iw:K" with K an integer in [1, 4096].',
    });
    expect(checkObjective('iw')).toMatchObject({ error: expect.stringContaining('"iw:K"') });
    expect(checkObjective('renyi:1')).toMatchObject({ error: expect.stringContaining('alpha = 1 is "kl"') });
    expect(checkObjective('kl:2')).toMatchObject({ error: expect.stringContaining('takes no argument') });
    expect(checkObjective('elbo')).toEqual({
      error: 'Objective "elbo": expected one of kl, iw:K, renyi:ALPHA[:K].',
    });
  });

  it("offers each objective's own estimators, its default first, and keeps a choice it offers", () => {
    for (const name of objectiveNames()) {
      expect(estimatorChoices(name).map((c) => c.value)).toEqual(
        findObjective(name)?.estimators.map((e) => e.name),
      );
    }
    expect(estimatorChoices('kl').map((c) => c.value)).toEqual(['entropy', 'stl']);
    expect(estimatorChoices('iw').map((c) => c.value)).toEqual(['entropy', 'dreg']);
    expect(estimatorFor('iw', 'dreg')).toBe('dreg');
    expect(estimatorFor('iw', 'stl')).toBe('entropy');
    expect(estimatorFor('kl', 'dreg')).toBe('entropy');
  });
});
