/**
 * Stan's `_rng` functions for generated quantities, in float64: the twin of shaders/stan/rng.wgsl (the same
 * stream and the same algorithms; read that file's header for the contract). The stream is keyed by the draw's
 * unconstrained point z, bits of its f32 coordinates, so the interpreter draws what the GPU draws at the same z:
 * the uniforms are bit for bit the same (exact in f32), the transforms of them differ by f32 rounding.
 */
import { lgamma } from '../math/special';

/** The `_rng` families this back end draws from (categorical is lowered to uniforms by lower.ts). */
export const RNG_FAMILIES: Readonly<Record<string, { readonly arity: number; readonly t: 'int' | 'real' }>> =
  {
    normal: { arity: 2, t: 'real' },
    std_normal: { arity: 0, t: 'real' },
    lognormal: { arity: 2, t: 'real' },
    uniform: { arity: 2, t: 'real' },
    exponential: { arity: 1, t: 'real' },
    bernoulli: { arity: 1, t: 'int' },
    bernoulli_logit: { arity: 1, t: 'int' },
    binomial: { arity: 2, t: 'int' },
    poisson: { arity: 1, t: 'int' },
    poisson_log: { arity: 1, t: 'int' },
    // Inverse CDFs of one uniform.
    cauchy: { arity: 2, t: 'real' },
    logistic: { arity: 2, t: 'real' },
    double_exponential: { arity: 2, t: 'real' },
    weibull: { arity: 2, t: 'real' },
    frechet: { arity: 2, t: 'real' },
    gumbel: { arity: 2, t: 'real' },
    rayleigh: { arity: 1, t: 'real' },
    pareto: { arity: 2, t: 'real' },
    pareto_type_2: { arity: 3, t: 'real' },
    exp_mod_normal: { arity: 3, t: 'real' },
    // From gamma draws (Marsaglia and Tsang).
    gamma: { arity: 2, t: 'real' },
    inv_gamma: { arity: 2, t: 'real' },
    chi_square: { arity: 1, t: 'real' },
    inv_chi_square: { arity: 1, t: 'real' },
    scaled_inv_chi_square: { arity: 2, t: 'real' },
    student_t: { arity: 3, t: 'real' },
    beta: { arity: 2, t: 'real' },
    neg_binomial: { arity: 2, t: 'int' },
    neg_binomial_2: { arity: 2, t: 'int' },
    neg_binomial_2_log: { arity: 2, t: 'int' },
    beta_binomial: { arity: 3, t: 'int' },
  };

/** Rejection tries before a sampler gives up (NaN or -1): each is accepted with probability above 0.85. */
const MAX_TRIES = 1000;

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** The high and low 32 bits of the 64-bit product of two u32s (16-bit halves: exact in float64). */
function mulHiLo(a: number, b: number): [number, number] {
  const lo = Math.imul(a, b) >>> 0;
  const aH = a >>> 16;
  const aL = a & 0xffff;
  const bH = b >>> 16;
  const bL = b & 0xffff;
  const cross = aH * bL + aL * bH; // < 2^33
  const low = aL * bL;
  const hi = aH * bH + Math.floor(cross / 65536) + Math.floor(((cross % 65536) * 65536 + low) / 4294967296);
  return [hi >>> 0, lo];
}

/** Philox4x32-10 (Salmon et al. 2011), as shaders/rng/philox.wgsl. */
export function philox4x32(
  counter: readonly number[],
  key: readonly number[],
): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter.map((x) => x >>> 0) as [number, number, number, number];
  let [k0, k1] = key.map((x) => x >>> 0) as [number, number];
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const [h0, l0] = mulHiLo(M0, c0);
    const [h1, l1] = mulHiLo(M1, c2);
    [c0, c1, c2, c3] = [(h1 ^ c1 ^ k0) >>> 0, l1, (h0 ^ c3 ^ k1) >>> 0, l0];
  }
  return [c0, c1, c2, c3];
}

const f32Bits = new Uint32Array(1);
const f32View = new Float32Array(f32Bits.buffer);

/** The uniform in (0, 1) the WGSL makes from 32 bits: (bits >> 9 + 1/2) 2^-23, exact in f32. */
function uniform01(bits: number): number {
  return ((bits >>> 9) + 0.5) * 2 ** -23;
}

export class StanRng {
  private key: [number, number];
  private counter = 0;
  private buffer: number[] = [];

  /** Keyed by the f32 bits of the D coordinates of z (rounded to f32 first, as the GPU holds them). */
  constructor(z: ArrayLike<number>) {
    const d = z.length;
    let key: [number, number] = [0x53544e31, d];
    for (let b = 0; b < Math.ceil(d / 4); b++) {
      const bits = [0, 1, 2, 3].map((lane) => {
        const k = 4 * b + lane;
        if (k >= d) return 0;
        f32View[0] = z[k] as number;
        return f32Bits[0] as number;
      });
      const r = philox4x32(bits, key);
      key = [r[0], r[1]];
    }
    this.key = key;
  }

  u01(): number {
    if (this.buffer.length === 0) {
      this.buffer = philox4x32([this.counter, 1, 0, 0], this.key).map(uniform01);
      this.counter = (this.counter + 1) >>> 0;
    }
    return this.buffer.shift() as number;
  }

  /** One draw of `${family}_rng(args)`; NaN (real) or -1 (int) for invalid parameters, where Stan throws. */
  draw(family: string, args: readonly number[]): number {
    const [a = NaN, b = NaN, c = NaN] = args;
    switch (family) {
      case 'std_normal':
        return this.stdNormal();
      case 'normal': {
        const n = this.stdNormal();
        return b > 0 ? a + b * n : NaN;
      }
      case 'lognormal': {
        const n = this.stdNormal();
        return b > 0 ? Math.exp(a + b * n) : NaN;
      }
      case 'uniform': {
        const u = this.u01();
        return b > a ? a + (b - a) * u : NaN;
      }
      case 'exponential': {
        const u = this.u01();
        return a > 0 ? -Math.log(u) / a : NaN;
      }
      case 'bernoulli':
        return this.bernoulli(a);
      case 'bernoulli_logit':
        return this.bernoulli(1 / (1 + Math.exp(-a)));
      case 'binomial': {
        if (a < 0 || !(b >= 0 && b <= 1)) return -1;
        let k = 0;
        for (let i = 0; i < a; i++) if (this.u01() < b) k++;
        return k;
      }
      case 'poisson':
        return this.poisson(a);
      case 'poisson_log':
        return this.poisson(Math.exp(a));
      case 'cauchy': {
        const u = this.u01();
        return b > 0 ? a + b * Math.tan(Math.PI * (u - 0.5)) : NaN;
      }
      case 'logistic': {
        const u = this.u01();
        return b > 0 ? a + b * Math.log(u / (1 - u)) : NaN;
      }
      case 'double_exponential': {
        const v = this.u01() - 0.5;
        return b > 0 ? a - b * Math.sign(v) * Math.log(1 - 2 * Math.abs(v)) : NaN;
      }
      case 'weibull': {
        const u = this.u01();
        return a > 0 && b > 0 ? b * (-Math.log(u)) ** (1 / a) : NaN;
      }
      case 'frechet': {
        const u = this.u01();
        return a > 0 && b > 0 ? b * (-Math.log(u)) ** (-1 / a) : NaN;
      }
      case 'gumbel': {
        const u = this.u01();
        return b > 0 ? a - b * Math.log(-Math.log(u)) : NaN;
      }
      case 'rayleigh': {
        const u = this.u01();
        return a > 0 ? a * Math.sqrt(-2 * Math.log(u)) : NaN;
      }
      case 'pareto': {
        const u = this.u01();
        return a > 0 && b > 0 ? a * u ** (-1 / b) : NaN;
      }
      case 'pareto_type_2': {
        const u = this.u01();
        return b > 0 && c > 0 ? a + b * (u ** (-1 / c) - 1) : NaN;
      }
      case 'exp_mod_normal': {
        const n = this.stdNormal();
        const u = this.u01();
        return b > 0 && c > 0 ? a + b * n - Math.log(u) / c : NaN;
      }
      case 'gamma': {
        const g = this.gamma(a);
        return b > 0 ? g / b : NaN;
      }
      case 'inv_gamma': {
        const g = this.gamma(a);
        return b > 0 ? b / g : NaN;
      }
      case 'chi_square':
        return 2 * this.gamma(a / 2);
      case 'inv_chi_square':
        return 1 / (2 * this.gamma(a / 2));
      case 'scaled_inv_chi_square': {
        const g = this.gamma(a / 2);
        return b > 0 ? (a * b * b) / (2 * g) : NaN;
      }
      case 'student_t': {
        const n = this.stdNormal();
        const chi2 = 2 * this.gamma(a / 2);
        return !Number.isNaN(b) && c > 0 ? b + c * n * Math.sqrt(a / chi2) : NaN;
      }
      case 'beta':
        return this.beta(a, b);
      // Poisson draws at a Gamma-distributed rate; the Poisson's own check refuses a NaN rate.
      case 'neg_binomial':
        return this.poisson(b > 0 ? this.gamma(a) / b : NaN);
      case 'neg_binomial_2':
        return this.poisson(a > 0 ? (this.gamma(b) * a) / b : NaN);
      case 'neg_binomial_2_log':
        return this.poisson((this.gamma(b) * Math.exp(a)) / b);
      case 'beta_binomial': {
        const p = this.beta(b, c);
        return p >= 0 && p <= 1 ? this.draw('binomial', [a, p]) : -1;
      }
      default:
        throw new Error(`no rng for ${family}`);
    }
  }

  private stdNormal(): number {
    const u1 = this.u01();
    const u2 = this.u01();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /**
   * Gamma(shape, rate 1): Marsaglia and Tsang (2000) for shape >= 1; below 1, a draw at shape + 1 times
   * u^(1/shape). NaN for a shape that is not positive (or after MAX_TRIES rejections).
   */
  private gamma(shape: number): number {
    if (!(shape > 0) || shape > 3.0e38) return NaN;
    const boost = shape < 1;
    const d = (boost ? shape + 1 : shape) - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      const x = this.stdNormal();
      const t = 1 + c * x;
      if (t <= 0) continue;
      const v = t * t * t;
      const u = this.u01();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) {
        return boost ? d * v * this.u01() ** (1 / shape) : d * v;
      }
    }
    return NaN;
  }

  /** Beta(a, b) as X / (X + Y) of Gamma(a) and Gamma(b) draws. */
  private beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    return x / (x + y);
  }

  private bernoulli(theta: number): number {
    const u = this.u01();
    if (!(theta >= 0 && theta <= 1)) return -1;
    return u < theta ? 1 : 0;
  }

  private poisson(lambda: number): number {
    if (!(lambda >= 0) || lambda >= 2 ** 30) return -1;
    if (lambda < 10) {
      const limit = Math.exp(-lambda);
      let k = 0;
      let p = this.u01();
      while (p > limit) {
        k++;
        p *= this.u01();
      }
      return k;
    }
    const slam = Math.sqrt(lambda);
    const loglam = Math.log(lambda);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (let tries = 0; tries < 1000; tries++) {
      const u = this.u01() - 0.5;
      const v = this.u01();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (
        Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <=
        -lambda + k * loglam - lgamma(k + 1)
      )
        return k;
    }
    return -1;
  }
}
