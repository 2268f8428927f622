/** `webgpu-vi fit` flag parsing and help (no GPU): the flags, their checks, the registries' choices. */
import { describe, expect, it } from 'vitest';
import { HELP, parseFitArgs, UsageError } from '../../src/cli/args';
import { MODEL_NAMES } from '../../src/models/registry';
import { familyNames } from '../../src/vi/families/registry';
import { objectiveNames } from '../../src/vi/objectives/registry';
import { optimizerNames } from '../../src/vi/optimizers/registry';

describe('parseFitArgs', () => {
  it('maps flags to settings', () => {
    const command = parseFitArgs([
      'fit',
      '--model',
      'hmm',
      '--family',
      'fullrank',
      '--rank',
      '3',
      '--samples',
      '65536',
      '--steps',
      '10',
      '--lr',
      '0.01',
      '--estimator',
      'stl',
      '--optimizer',
      'adam',
      '--objective',
      'kl',
      '--out',
      'r.json',
      '--diagnostic-draws',
      '4000000',
      '--draws-csv',
      'draws.csv',
      '--quiet',
    ]);
    expect(command).toEqual({
      model: 'hmm',
      out: 'r.json',
      drawsCsv: 'draws.csv',
      quiet: true,
      settings: {
        family: 'fullrank',
        rank: 3,
        samples: 65536,
        maxSteps: 10,
        lr: 0.01,
        estimator: 'stl',
        optimizer: 'adam',
        objective: 'kl',
        diagnosticDraws: 4_000_000,
      },
    });
  });

  it('maps --restarts to the restarts setting, and says so in the help', () => {
    expect(parseFitArgs(['fit', '--optimizer', 'adam', '--restarts', '4'])).toMatchObject({
      settings: { optimizer: 'adam', restarts: 4 },
    });
    expect(HELP).toMatch(/--restarts K +independent fits from K starts/);
    expect(HELP).toMatch(/\(default 1\)/);
  });

  it('maps --pool to the pool setting (default best), and says so in the help', () => {
    expect(parseFitArgs(['fit', '--restarts', '4', '--pool', 'resample'])).toMatchObject({
      settings: { restarts: 4, pool: 'resample' },
    });
    expect(HELP).toMatch(/--pool HOW +how the summary and --draws-csv pool the restarts: best \| resample/);
    expect(HELP).toMatch(/multi-path\s+Pathfinder\s+pools\s+its\s+paths\)\s+\(default\s+best\)/);
  });

  it('answers help', () => {
    expect(parseFitArgs([])).toBe('help');
    expect(parseFitArgs(['fit', '--help'])).toBe('help');
  });

  it.each([
    [['run'], /unknown command "run"/],
    [['fit', '--samples', 'many'], /--samples: expected an integer, got "many"/],
    [['fit', '--lr', ''], /--lr: expected a number/],
    [['fit', '--steps', '2.5'], /--steps: expected an integer/],
    [['fit', '--bogus'], /bogus/],
    [['fit', '--diagnostic-draws', '1e6x'], /--diagnostic-draws: expected an integer, got "1e6x"/],
    [['fit', '--restarts', 'two'], /--restarts: expected an integer, got "two"/],
    [['fit', '--restarts', '1.5'], /--restarts: expected an integer, got "1.5"/],
  ])('%o is a usage error naming the flag', (argv, message) => {
    expect(() => parseFitArgs(argv)).toThrow(UsageError);
    expect(() => parseFitArgs(argv)).toThrow(message);
  });
});

describe('HELP', () => {
  it('lists every registered model, family, objective and optimizer', () => {
    for (const name of [...MODEL_NAMES, ...familyNames(), ...objectiveNames(), ...optimizerNames()]) {
      expect(HELP).toContain(name);
    }
    expect(HELP.split('\n').every((line) => line.length <= 112)).toBe(true);
  });
});
