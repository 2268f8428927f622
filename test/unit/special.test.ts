import { describe, expect, it } from 'vitest';
import * as special from '../../src/math/special';
import {
  loadSpecialFixtures,
  specialEdgeGroups,
  specialError,
  type SpecialGroup,
} from '../reference/special-fixtures';

type Fn = (...args: number[]) => number;

/** The float64 function behind each fixture name (Stan's names, as in the WGSL twin without math_). */
const FUNCTIONS: Record<string, Fn> = {
  log1p: special.log1p,
  expm1: special.expm1,
  log1p_exp: special.log1pExp,
  log1m_exp: special.log1mExp,
  log_diff_exp: special.logDiffExp,
  log_sum_exp2: special.logSumExp2,
  inv_logit: special.invLogit,
  logit: special.logit,
  log_inv_logit: special.logInvLogit,
  log1m_inv_logit: special.log1mInvLogit,
  lgamma: special.lgamma,
  lgamma_stirling_diff: special.lgammaStirlingDiff,
  digamma: special.digamma,
  trigamma: special.trigamma,
  lbeta: special.lbeta,
  lchoose: special.lchoose,
  erf: special.erf,
  erfc: special.erfc,
  erfcx: special.erfcx,
  Phi: special.Phi,
  log_Phi: special.logPhi,
  inv_mills: special.invMills,
  inv_Phi: special.invPhi,
  lmgamma: special.lmgamma,
  log_falling_factorial: special.logFallingFactorial,
  log_rising_factorial: special.logRisingFactorial,
};

const MIN_NORMAL = 2.2250738585072014e-308;

/**
 * Max error allowed per fixture group, and the floor of the error measure (specialError): 0 means relative
 * error everywhere (down to the smallest normal number, below which float64 itself has fewer digits); 1 means
 * |error| / max(1, |value|), for groups whose values cross zero where the cancellation is in the definition.
 */
const BOUNDS: Record<string, { bound: number; floor: number }> = {
  log1p: { bound: 4e-16, floor: 0 },
  expm1: { bound: 4e-16, floor: 0 },
  log1p_exp: { bound: 4e-16, floor: 0 },
  log1m_exp: { bound: 4e-16, floor: 0 },
  log_diff_exp: { bound: 4e-16, floor: 1 },
  log_sum_exp2: { bound: 4e-16, floor: 1 },
  inv_logit: { bound: 4e-16, floor: 0 },
  logit: { bound: 4e-16, floor: 0 },
  log_inv_logit: { bound: 4e-16, floor: 0 },
  log1m_inv_logit: { bound: 4e-16, floor: 0 },
  lgamma: { bound: 1e-15, floor: 0 },
  lgamma_negative: { bound: 1e-15, floor: 1 },
  lgamma_stirling_diff: { bound: 5e-13, floor: 0 },
  digamma: { bound: 4e-15, floor: 0 },
  digamma_negative: { bound: 1e-15, floor: 1 },
  trigamma: { bound: 1e-15, floor: 0 },
  trigamma_negative: { bound: 1e-15, floor: 0 },
  lbeta: { bound: 2e-15, floor: 1 },
  lchoose: { bound: 2e-15, floor: 1 },
  erf: { bound: 4e-16, floor: 0 },
  erfc: { bound: 5e-16, floor: 0 },
  erfcx: { bound: 5e-16, floor: 0 },
  Phi: { bound: 5e-16, floor: 0 },
  log_Phi: { bound: 6e-16, floor: 0 },
  inv_mills: { bound: 1e-15, floor: 0 },
  inv_Phi: { bound: 6e-16, floor: 0 },
  lmgamma: { bound: 4e-16, floor: 1 },
  log_falling_factorial: { bound: 2e-15, floor: 1 },
  log_rising_factorial: { bound: 1e-15, floor: 1 },
};

interface Worst {
  error: number;
  args: readonly number[];
  got: number;
  want: number;
}

function worstCase(group: SpecialGroup, fn: Fn, floor: number): Worst {
  let worst: Worst = { error: 0, args: [], got: 0, want: 0 };
  for (const { args, value } of group.cases) {
    const got = fn(...args);
    const error = specialError(got, value, Math.max(floor, MIN_NORMAL));
    if (error > worst.error || Number.isNaN(error)) worst = { error, args, got, want: value };
  }
  return worst;
}

const groups = loadSpecialFixtures();

describe('float64 special functions (src/math/special.ts) against mpmath', () => {
  it('has a function and a bound for every fixture group', () => {
    for (const group of groups) {
      expect(FUNCTIONS[group.fn], group.fn).toBeTypeOf('function');
      expect(BOUNDS[group.name], group.name).toBeDefined();
      expect(group.cases.length, group.name).toBeGreaterThan(40);
    }
  });

  const achieved: Record<string, { cases: number; maxError: string; bound: string; at: string }> = {};
  for (const group of groups) {
    it(`${group.name}: ${group.cases.length} cases`, () => {
      const fn = FUNCTIONS[group.fn] as Fn;
      const { bound, floor } = BOUNDS[group.name] as { bound: number; floor: number };
      const worst = worstCase(group, fn, floor);
      achieved[group.name] = {
        cases: group.cases.length,
        maxError: worst.error.toExponential(2),
        bound: `${bound.toExponential(1)}${floor ? ' (abs)' : ''}`,
        at: `${group.fn}(${worst.args.join(', ')}) = ${worst.got}, want ${worst.want}`,
      };
      expect(worst.error, achieved[group.name]?.at).toBeLessThanOrEqual(bound);
    });
  }
  it('returns exactly the IEEE limits at the edges of the domains and NaN outside them (test/reference/special-fixtures.ts)', () => {
    const wrong: string[] = [];
    for (const group of specialEdgeGroups()) {
      for (const { args, value } of group.cases) {
        const got = (FUNCTIONS[group.fn] as Fn)(...args);
        if (specialError(got, value, MIN_NORMAL) !== 0)
          wrong.push(`${group.fn}(${args.join(', ')}) = ${got}, want ${value}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('prints the achieved errors', () => {
    console.info('float64 special functions, max error against mpmath:');
    console.table(achieved);
    expect(Object.keys(achieved).length).toBe(groups.length);
  });
});

/** Deterministic uniform doubles in [0, 1) (mulberry32). */
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

/** Arguments spread over [10^lo, 10^hi], rounded to float32 so that x + 1 is exact. */
function logUniform(n: number, lo: number, hi: number, seed: number): number[] {
  const r = random(seed);
  return Array.from({ length: n }, () => Math.fround(10 ** (lo + (hi - lo) * r())));
}

describe('float64 special functions: identities', () => {
  it('lgamma(x + 1) = lgamma(x) + log x', () => {
    for (const x of [...logUniform(400, -6, 6, 1), 1, 2, 0.5, 9.5, 10]) {
      const lhs = special.lgamma(x + 1);
      const rhs = special.lgamma(x) + Math.log(x);
      expect(Math.abs(lhs - rhs), `x = ${x}`).toBeLessThanOrEqual(
        1e-15 * Math.max(1, Math.abs(special.lgamma(x))),
      );
    }
  });

  it('lgamma on negative non-integers: the reflection agrees with the recurrence lgamma(x) = lgamma(x + 1) - log|x|', () => {
    const r = random(2);
    for (let i = 0; i < 200; i++) {
      const x = -Math.fround(0.01 + 30 * r());
      if (Number.isInteger(x) || Number.isInteger(x + 1)) continue;
      const lhs = special.lgamma(x);
      const rhs = special.lgamma(x + 1) - Math.log(Math.abs(x));
      expect(Math.abs(lhs - rhs), `x = ${x}`).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(lhs)));
    }
  });

  it('digamma(x + 1) = digamma(x) + 1/x', () => {
    for (const x of [...logUniform(400, -6, 6, 3), 1, 0.4616321449683622]) {
      const lhs = special.digamma(x + 1);
      const rhs = special.digamma(x) + 1 / x;
      expect(Math.abs(lhs - rhs), `x = ${x}`).toBeLessThanOrEqual(
        1e-15 * (Math.abs(special.digamma(x)) + 1 / x),
      );
    }
  });

  it('trigamma(x) = trigamma(x + 1) + 1/x^2', () => {
    for (const x of logUniform(400, -6, 6, 4)) {
      const lhs = special.trigamma(x);
      const rhs = special.trigamma(x + 1) + 1 / (x * x);
      expect(Math.abs(lhs - rhs) / lhs, `x = ${x}`).toBeLessThanOrEqual(8e-16);
    }
  });

  it('erf is odd and erf + erfc = 1; Phi(x) + Phi(-x) = 1', () => {
    const r = random(5);
    for (let i = 0; i < 500; i++) {
      const x = 8 * r() - 4;
      expect(special.erf(-x)).toBe(-special.erf(x));
      expect(Math.abs(special.erf(x) + special.erfc(x) - 1)).toBeLessThanOrEqual(4e-16);
      expect(Math.abs(special.Phi(x) + special.Phi(-x) - 1)).toBeLessThanOrEqual(4e-16);
    }
  });

  it('invPhi(Phi(x)) = x from the far lower tail to the centre, and invPhi(1 - p) = -invPhi(p)', () => {
    const r = random(6);
    for (let i = 0; i < 1000; i++) {
      const x = -37.5 + 37.5 * r();
      // Below 0, Phi(x) is known to float64's relative accuracy and inv_Phi is well conditioned there.
      expect(Math.abs(special.invPhi(special.Phi(x)) - x), `x = ${x}`).toBeLessThanOrEqual(
        3e-15 * Math.max(1, Math.abs(x)),
      );
    }
    // The upper half by symmetry, at p whose 1 - p is exact.
    for (let j = 1; j < 512; j++) expect(special.invPhi(1 - j / 1024)).toBe(-special.invPhi(j / 1024));
    for (let k = 2; k < 53; k++) expect(special.invPhi(1 - 2 ** -k)).toBe(-special.invPhi(2 ** -k));
    expect(special.invPhi(0.5)).toBe(0);
  });

  it('logPhi = log(Phi) where Phi is representable, invMills = phi / Phi', () => {
    for (let x = -37; x <= 5; x += 0.37) {
      expect(Math.abs(special.logPhi(x) - Math.log(special.Phi(x)))).toBeLessThanOrEqual(
        4e-16 * Math.max(1, Math.abs(special.logPhi(x))),
      );
      const phi = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
      // phi is evaluated naively here: exp(-x^2 / 2) has a relative error of about x^2 eps / 2.
      expect(Math.abs(special.invMills(x) / (phi / special.Phi(x)) - 1)).toBeLessThanOrEqual(
        2e-16 * (4 + x * x),
      );
    }
  });

  it('lbeta is symmetric, lbeta(a, 1) = -log a, and lchoose matches small binomial coefficients exactly', () => {
    for (const a of logUniform(200, -5, 10, 7)) {
      const b = Math.fround(a * 3.7 + 0.1);
      expect(special.lbeta(a, b)).toBe(special.lbeta(b, a));
      expect(Math.abs(special.lbeta(a, 1) + Math.log(a))).toBeLessThanOrEqual(
        4e-15 * Math.max(1, Math.abs(Math.log(a))),
      );
    }
    let row = [1];
    for (let n = 1; n <= 60; n++) {
      row = [1, ...row.slice(1).map((v, k) => v + (row[k] as number)), 1];
      row.forEach((c, k) => {
        const want = Math.log(c);
        expect(Math.abs(special.lchoose(n, k) - want), `C(${n}, ${k})`).toBeLessThanOrEqual(
          2e-15 * Math.max(1, want),
        );
      });
    }
  });

  it('log_falling_factorial(x, n) + log_rising_factorial(x - n + 1, n) = 0 and the factorial ratios of integers', () => {
    for (const x of logUniform(100, 0, 8, 8)) {
      const n = Math.fround(0.3 * x);
      const sum = special.logFallingFactorial(x, n) - special.logRisingFactorial(x - n + 1, n);
      expect(Math.abs(sum), `x = ${x}`).toBeLessThanOrEqual(
        4e-15 * Math.max(1, special.logFallingFactorial(x, n)),
      );
    }
    expect(special.logFallingFactorial(10, 3)).toBeCloseTo(Math.log(720), 14);
    expect(special.logRisingFactorial(4, 3)).toBeCloseTo(Math.log(120), 14);
  });

  it('lmgamma(1, x) = lgamma(x), lmgamma(2, x) = log(pi)/2 + lgamma(x) + lgamma(x - 1/2)', () => {
    for (const x of logUniform(100, 0, 6, 9)) {
      expect(special.lmgamma(1, x)).toBe(special.lgamma(x));
      const want = 0.5 * Math.log(Math.PI) + special.lgamma(x) + special.lgamma(x - 0.5);
      expect(Math.abs(special.lmgamma(2, x) - want)).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(want)));
    }
    expect(special.lmgamma(2.5, 3)).toBeNaN();
  });

  it('returns the IEEE limits at the edges of the domains and NaN outside them', () => {
    expect(special.lgamma(0)).toBe(Infinity);
    expect(special.lgamma(-3)).toBe(Infinity);
    expect(special.lgamma(1)).toBe(0);
    expect(special.lgamma(2)).toBe(0);
    expect(special.lgamma(Infinity)).toBe(Infinity);
    expect(special.digamma(0)).toBeNaN();
    expect(special.trigamma(0)).toBe(Infinity);
    expect(special.log1mExp(0)).toBe(-Infinity);
    expect(special.log1mExp(1)).toBeNaN();
    expect(special.logDiffExp(1, 2)).toBeNaN();
    expect(special.logDiffExp(1, 1)).toBe(-Infinity);
    expect(special.logit(0)).toBe(-Infinity);
    expect(special.logit(1)).toBe(Infinity);
    expect(special.logit(1.5)).toBeNaN();
    expect(special.invPhi(0)).toBe(-Infinity);
    expect(special.invPhi(1)).toBe(Infinity);
    expect(special.invPhi(-0.1)).toBeNaN();
    expect(special.Phi(-Infinity)).toBe(0);
    expect(special.Phi(Infinity)).toBe(1);
    expect(special.logPhi(-Infinity)).toBe(-Infinity);
    expect(special.logPhi(Infinity) === 0).toBe(true);
    expect(special.invMills(-Infinity)).toBe(Infinity);
    expect(special.invMills(Infinity)).toBe(0);
    expect(special.erfc(Infinity)).toBe(0);
    expect(special.erfc(-Infinity)).toBe(2);
    expect(special.erf(Infinity)).toBe(1);
    expect(special.lbeta(0, 1)).toBe(Infinity);
    expect(special.lbeta(-1, 1)).toBeNaN();
    expect(special.lchoose(5, 7)).toBeNaN();
    for (const f of Object.values(FUNCTIONS)) expect(f(NaN, NaN)).toBeNaN();
  });
});

describe('float64 special functions: derivatives by central differences', () => {
  /** Richardson-extrapolated central difference (error O(h^4)). */
  function derivative(f: (x: number) => number, x: number, h: number): number {
    const d1 = (f(x + h) - f(x - h)) / (2 * h);
    const d2 = (f(x + 2 * h) - f(x - 2 * h)) / (4 * h);
    return (4 * d1 - d2) / 3;
  }
  const xs = [
    0.05, 0.3, 0.9, 1.2, 1.4616321449683622, 1.7, 2.4, 3.3, 7.5, 9.9, 10.1, 25, 300, 1e4, -0.4, -1.7, -5.5,
  ];

  it('digamma = d/dx lgamma', () => {
    for (const x of xs) {
      const h = 1e-3 * Math.min(1, Math.abs(x - Math.round(x)) || 1, Math.abs(x));
      const fd = derivative(special.lgamma, x, h);
      expect(Math.abs(fd - special.digamma(x)), `x = ${x}`).toBeLessThanOrEqual(
        1e-9 * Math.max(1, Math.abs(special.lgamma(x))) + 1e-9 * Math.abs(special.digamma(x)),
      );
    }
  });

  it('trigamma = d/dx digamma', () => {
    for (const x of xs) {
      const h = 1e-3 * Math.min(1, Math.abs(x - Math.round(x)) || 1, Math.abs(x));
      const fd = derivative(special.digamma, x, h);
      expect(Math.abs(fd / special.trigamma(x) - 1), `x = ${x}`).toBeLessThanOrEqual(1e-8);
    }
  });

  it('invMills = d/dx logPhi, from x = -1e4 to 30', () => {
    for (const x of [-1e4, -300, -37, -10, -3, -1, -0.7071, -0.5, 0, 0.5, 2, 5, 8, 12, 30]) {
      const h = 1e-3 / Math.max(1, Math.abs(x));
      const fd = derivative(special.logPhi, x, h);
      const want = special.invMills(x);
      // logPhi's rounding (eps |logPhi|) divided by h bounds the difference quotient's noise.
      const noise = (1e-15 * Math.max(1, Math.abs(special.logPhi(x)))) / h;
      expect(Math.abs(fd - want), `x = ${x}`).toBeLessThanOrEqual(1e-9 * Math.abs(want) + noise);
    }
  });

  it('the error function and Phi have the Gaussian derivatives', () => {
    for (const x of [-5, -2, -0.6, -0.3, 0, 0.2, 0.49, 0.51, 1, 3, 5]) {
      const dErf = derivative(special.erf, x, 1e-4);
      expect(Math.abs(dErf - (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x))).toBeLessThanOrEqual(1e-10);
      const dPhi = derivative(special.Phi, x, 1e-4);
      expect(Math.abs(dPhi - Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI))).toBeLessThanOrEqual(1e-10);
    }
  });
});
