/**
 * The TypeScript twin of `generate` in test/reference/fixtures/loo/make_psis_fixtures.R: the same float64
 * formula gives the same log-ratio vectors on both sides, so the fixtures need not store them.
 */
import fixtureJson from '../reference/fixtures/loo/psis_fixtures.json';

export interface PsisCaseSpec {
  readonly name: string;
  readonly S: number;
  readonly dist: string;
  readonly scale?: number;
  readonly shift?: number;
  readonly negInfEvery?: number;
  readonly floorTopFraction?: number;
  readonly values?: readonly number[];
}

export interface LooReference {
  /** k-hat, "Inf", or null where loo gave NA. */
  readonly khat: number | 'Inf' | null;
  readonly khatIsNA: boolean;
  readonly tailLength: number;
  /** "NA" where loo fitted nothing. */
  readonly sigma: number | 'NA';
  readonly logNormaliser: number;
  readonly ess: number;
  readonly iwElbo: number;
  readonly tailIndices: readonly number[];
  readonly tailLogWeights: readonly number[];
  readonly headLogWeights: readonly number[];
}

export interface PsisFixture {
  readonly loo: string;
  readonly permutationMultiplier: number;
  readonly cases: readonly { readonly spec: PsisCaseSpec; readonly loo: LooReference }[];
}

/** jsonlite writes infinities and NA as the strings "Inf", "-Inf" and "NA". */
function numbers(values: readonly (number | string)[]): number[] {
  return values.map((v) =>
    v === '-Inf' ? -Infinity : v === 'Inf' ? Infinity : v === 'NA' ? NaN : Number(v),
  );
}

interface RawFixture {
  readonly cases: readonly { readonly spec: PsisCaseSpec; readonly loo: Record<string, unknown> }[];
}

const raw = fixtureJson as unknown as RawFixture;
export const PSIS_FIXTURE: PsisFixture = {
  ...(fixtureJson as unknown as PsisFixture),
  cases: raw.cases.map(({ spec, loo }) => ({
    spec,
    loo: {
      ...(loo as unknown as LooReference),
      headLogWeights: numbers(loo.headLogWeights as (number | string)[]),
      tailLogWeights: numbers(loo.tailLogWeights as (number | string)[]),
    },
  })),
};

function quantile(dist: string): (u: number) => number {
  switch (dist) {
    case 'logistic':
      return (u) => Math.log(u / (1 - u));
    case 'exponential':
      return (u) => -Math.log(1 - u);
    case 't2':
      return (u) => (2 * u - 1) / Math.sqrt(2 * u * (1 - u));
    case 'logistic_quarters':
      return (u) => Math.floor(4 * Math.log(u / (1 - u)) + 0.5) / 4;
    case 'logistic_capped':
      return (u) => Math.min(Math.log(u / (1 - u)), 0);
    default:
      throw new Error(`unknown dist ${dist}`);
  }
}

/** The log ratios of a fixture case (float64), exactly as the R script builds them. */
export function generateCase(
  spec: PsisCaseSpec,
  multiplier = PSIS_FIXTURE.permutationMultiplier,
): Float64Array {
  const { S } = spec;
  if (spec.values) return Float64Array.from(spec.values);
  const q = quantile(spec.dist);
  const value = new Float64Array(S);
  for (let i = 0; i < S; i++) value[i] = (spec.shift ?? 0) + (spec.scale ?? 1) * q((i + 0.5) / S);
  if (spec.floorTopFraction !== undefined) {
    const M = Math.ceil(Math.min(0.2 * S, 3 * Math.sqrt(S)));
    const keep = Math.floor(spec.floorTopFraction * M);
    const floorValue = value.slice().sort()[S - keep - 1] as number;
    for (let i = 0; i < S; i++) value[i] = Math.max(value[i] as number, floorValue);
  }
  const r = new Float64Array(S);
  for (let j = 0; j < S; j++) r[j] = value[(multiplier * j) % S] as number;
  if (spec.negInfEvery !== undefined) {
    for (let j = 0; j < S; j++) if (j % spec.negInfEvery === 3) r[j] = -Infinity;
  }
  return r;
}
