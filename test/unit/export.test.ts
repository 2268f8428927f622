/** The page's exports (no GPU, no DOM): the draws CSV and the result file names. */
import { describe, expect, it } from 'vitest';
import { drawsCsv, fileStem, resultJson } from '../../src/ui/export';
import type { FitResult } from '../../src/vi/engine';

describe('drawsCsv', () => {
  it('writes a header of names, then one row per draw from the padded layout', () => {
    const values = Float32Array.of(1, 2, 0, 0, 3.5, -4, 0, 0);
    const csv = drawsCsv({ names: ['theta[1]', 'a,b'], count: 2, stride: 4, values });
    expect(csv).toBe('theta[1],"a,b"\n1,2\n3.5,-4\n');
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
