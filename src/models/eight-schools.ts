/**
 * eight-schools: posteriordb's eight_schools-eight_schools_noncentered (Rubin's SAT coaching study),
 * non-centred, with posteriordb's reference posterior for its data.
 *
 * Unconstrained z (D = J + 2), in Stan's declaration order: theta_trans[1..J], mu, log(tau).
 * Reported, in posteriordb's reference order: theta[1..J], mu, tau (theta_trans is not reported).
 */
import eightSchoolsWgsl from '../../shaders/models/eight_schools.wgsl?raw';
import { DataError, readInt, readVector, type StanData } from './data';
import defaultDataJson from './data/eight-schools.json';
import referenceJson from './data/eight-schools-reference.json';
import { vec4Count, type ModelDefinition, type PosteriorSummary, type PreparedModel } from './types';

const LOG_2PI = Math.log(2 * Math.PI);

function paramNames(j: number): string[] {
  return [...Array.from({ length: j }, (_, i) => `theta[${i + 1}]`), 'mu', 'tau'];
}

/** posteriordb's summary, reordered to our names; undefined if it does not cover every name. */
function referenceSummary(names: readonly string[]): PosteriorSummary | undefined {
  const index = names.map((name) => referenceJson.names.indexOf(name));
  if (index.some((i) => i < 0)) return undefined;
  return {
    mean: index.map((i) => referenceJson.mean[i] as number),
    sd: index.map((i) => referenceJson.sd[i] as number),
  };
}

function isDefaultData(j: number, y: Float64Array, sigma: Float64Array): boolean {
  return (
    j === defaultDataJson.J &&
    y.every((v, i) => v === defaultDataJson.y[i]) &&
    sigma.every((v, i) => v === defaultDataJson.sigma[i])
  );
}

export const eightSchools: ModelDefinition = {
  name: 'eight-schools',
  title: 'Eight schools, non-centred (posteriordb eight_schools_noncentered; reference posterior)',
  wgsl: eightSchoolsWgsl,
  dataFields: [
    { name: 'J', declaration: 'int<lower=1> J (number of schools)' },
    { name: 'y', declaration: 'array[J] real y (estimated treatment effects)' },
    { name: 'sigma', declaration: 'array[J] real<lower=0> sigma (their standard errors; > 0)' },
  ],
  defaultData: () => ({
    J: defaultDataJson.J,
    y: [...defaultDataJson.y],
    sigma: [...defaultDataJson.sigma],
  }),
  prepare(data: StanData): PreparedModel {
    const j = readInt(data, 'J', { min: 1 });
    const y = readVector(data, 'y', j, 'J');
    const sigma = readVector(data, 'sigma', j, 'J');
    sigma.forEach((s, i) => {
      // sigma = 0 is allowed by Stan's <lower=0> but makes the likelihood degenerate.
      if (!(s > 0)) throw new DataError(`sigma[${i + 1}]`, 'a number > 0', String(s));
    });
    const dimension = j + 2;
    const dv = vec4Count(dimension);
    // Normalising constants, summed in float64: theta_trans's J standard normals, the J likelihood terms,
    // mu's normal(0, 5) and tau's half-Cauchy(0, 5) (2 / (pi * 5)).
    const lpConst =
      -j * LOG_2PI -
      sigma.reduce((a, s) => a + Math.log(s), 0) -
      0.5 * LOG_2PI -
      Math.log(5) +
      Math.log(2 / (5 * Math.PI));
    // lp_const, padding to the 16-byte alignment of the blocks, then per block of 4 schools (y, 1 / sigma);
    // lanes past J stay 0, which masks them out of the likelihood.
    const buffer = new Float32Array(4 + 8 * dv);
    buffer[0] = lpConst;
    for (let i = 0; i < j; i++) {
      const base = 4 + 8 * Math.floor(i / 4) + (i % 4);
      buffer[base] = y[i] as number;
      buffer[base + 4] = 1 / (sigma[i] as number);
    }
    const names = paramNames(j);
    const reference = isDefaultData(j, y, sigma) ? referenceSummary(names) : undefined;
    return {
      dimension,
      paramNames: names,
      constants: { EIGHT_SCHOOLS_J: { type: 'u32', value: j } },
      buffers: [{ label: 'eight-schools data', data: buffer }],
      ...(reference ? { reference } : {}),
    };
  },
};
