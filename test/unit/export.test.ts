/** The page's exports (no GPU, no DOM): the draws CSV and the result file names. */
import { describe, expect, it } from 'vitest';
import { drawsCsv, fileStem, resultJson } from '../../src/ui/export';
import type { FitResult } from '../../src/vi/engine';
import { DEFAULT_SETTINGS } from '../../src/vi/settings';

describe('drawsCsv', () => {
  it("writes the fit's draws as CmdStan's variational CSV (src/vi/draws-csv.ts)", () => {
    const draws = {
      names: ['theta[1]', 'sigma'],
      count: 2,
      stride: 4,
      values: Float32Array.of(1, 2, 0, 0, 3.5, -4, 0, 0),
      logP: Float32Array.of(-10, -11.5),
      logG: Float32Array.of(-0.5, -1),
      logQ: Float32Array.of(0, 0),
      logRatio: Float32Array.of(0, 0),
      meanRow: Float32Array.of(2, 1, 0, 0),
    };
    const result = {
      model: 'm',
      family: 'meanfield',
      adapter: 'a',
      steps: 10,
      stopReason: 'max-steps',
      elbo: { final: -3 },
      settings: DEFAULT_SETTINGS,
      diagnostics: { khat: 0.1, level: 'good', iwElbo: -2.9, draws: 1000 },
      accuracy: { stepSizes: [[0, 0.05]] },
    } as unknown as FitResult;
    const lines = drawsCsv(result, draws, 'data.json').trimEnd().split('\n');
    const data = lines.filter((l) => !l.startsWith('#'));
    expect(data).toEqual([
      'lp__,log_p__,log_g__,theta.1,sigma',
      '0,0,0,2,1',
      '0,-10,-0.5,1,2',
      '0,-11.5,-1,3.5,-4',
    ]);
    expect(lines).toContain('#   file = data.json');
    expect(lines).toContain('# method = variational');
  });
});

describe('result files', () => {
  it('name the model, family and seed, and end the JSON with a newline', () => {
    const result = { model: 'hmm', family: 'fullrank', seed: 3 } as FitResult;
    expect(fileStem(result)).toBe('webgpu-vi-hmm-fullrank-seed3');
    expect(JSON.parse(resultJson(result))).toEqual(result);
    expect(resultJson(result).endsWith('}\n')).toBe(true);
  });
});
