/**
 * A small variational output for the Stan CSV tests: scalar, vector and matrix parameters, f32-derived
 * values over many magnitudes, a padded row stride (as the engine's draws have) and one draw whose
 * log density is -inf.
 */
import type { StanVariationalCsvInput } from '../../../src/vi/stan-csv';

// A matrix is written whole and column-major, as Stan writes it (L[1,1], L[2,1], L[1,2], L[2,2]).
export const SAMPLE_NAMES = [
  'mu',
  'tau',
  'theta[1]',
  'theta[2]',
  'theta[3]',
  'L[1,1]',
  'L[2,1]',
  'L[1,2]',
  'L[2,2]',
];
export const SAMPLE_STRIDE = 12;
export const SAMPLE_DRAWS = 40;

/** Deterministic uniforms in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sampleCsvInput(): StanVariationalCsvInput {
  const r = random(13);
  const names = SAMPLE_NAMES.length;
  const draws = new Float32Array(SAMPLE_DRAWS * SAMPLE_STRIDE).fill(Number.NaN); // padding must not leak
  const logP = new Float32Array(SAMPLE_DRAWS);
  const logG = new Float32Array(SAMPLE_DRAWS);
  for (let i = 0; i < SAMPLE_DRAWS; i++) {
    for (let j = 0; j < names; j++) {
      draws[i * SAMPLE_STRIDE + j] = (r() - 0.3) * 10 ** (6 * r() - 3);
    }
    logP[i] = -1234.5 - 40 * r();
    logG[i] = -0.5 * 8 * r();
  }
  logP[7] = -Infinity;
  return {
    names: SAMPLE_NAMES,
    mean: Float32Array.from({ length: names }, (_, j) => j * 0.1 - 0.123456789),
    draws,
    stride: SAMPLE_STRIDE,
    logP,
    logG,
    settings: {
      model: 'eight_schools',
      algorithm: 'fullrank',
      iter: 2000,
      gradSamples: 16384,
      elboSamples: 16384,
      eta: 0.05,
      tolRelObj: 0.01,
      evalElbo: 50,
      seed: 42,
      dataFile: 'data/eight schools.json',
    },
    extra: { family: 'fullrank', samples: 16384, estimator: 'entropy', steps: 812, converged: true },
    adapter: 'google swiftshader (SwiftShader driver 5.0.0)',
  };
}
