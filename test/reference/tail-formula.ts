/**
 * Test values for the GPU tail selection that the GPU and the CPU compute to the same f32 bits: an
 * integer hash (lowbias32) gives a geometric G = clz(h1) and a 17-bit uniform U, v = SCALE (G + U) + SHIFT
 * with SCALE a power of two, so every float operation is exact or a single correctly rounded addition
 * (WGSL rounds f32 + and * correctly; no fused multiply-add can change an exact product). exp(v) has a
 * Pareto tail with k = SCALE / ln 2 (0.36 at SCALE 1/4, 0.72 at 1/2). The values fall on a grid of
 * 2^17 per unit of G, so S = 2^22 draws hold many ties. Every 1009th draw (from 7) is -inf, every 4099th
 * (from 5) NaN and every 65537th (from 11) +inf, as broken log densities would give.
 */

export interface TailFormula {
  readonly scale: number;
  readonly shift: number;
  readonly seed: number;
}

function lowbias32(input: number): number {
  let x = input >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/** Value i as the GPU computes it, as a float64 holding the f32. */
export function tailFormulaValue(i: number, { scale, shift, seed }: TailFormula): number {
  if (i % 1009 === 7) return -Infinity;
  if (i % 4099 === 5) return NaN;
  if (i % 65537 === 11) return Infinity;
  const h1 = lowbias32((2 * i + seed) >>> 0);
  const h2 = lowbias32((2 * i + 1 + seed) >>> 0);
  const g = Math.clz32(h1);
  const u = (h2 >>> 15) / 131072;
  return Math.fround(Math.fround(scale * (g + u)) + shift);
}

export function tailFormulaValues(count: number, formula: TailFormula): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = tailFormulaValue(i, formula);
  return out;
}

/** The WGSL twin (module "tail_program"), with SCALE, SHIFT (f32) and SEED (u32) as constants. */
export const TAIL_FORMULA_WGSL = `// tail_program (test): hash-based values, see test/reference/tail-formula.ts
fn tail_formula_hash(input: u32) -> u32 {
  var x = input;
  x = x ^ (x >> 16u);
  x = x * 0x7feb352du;
  x = x ^ (x >> 15u);
  x = x * 0x846ca68bu;
  x = x ^ (x >> 16u);
  return x;
}

fn tail_setup() {}

fn tail_value(i: u32) -> f32 {
  if (i % 1009u == 7u) {
    return bitcast<f32>(0xff800000u | (i & 0u));
  }
  if (i % 4099u == 5u) {
    return bitcast<f32>(0x7fc00000u | (i & 0u));
  }
  if (i % 65537u == 11u) {
    return bitcast<f32>(0x7f800000u | (i & 0u));
  }
  let h1 = tail_formula_hash(2u * i + SEED);
  let h2 = tail_formula_hash(2u * i + 1u + SEED);
  let g = f32(countLeadingZeros(h1));
  let u = f32(h2 >> 15u) * (1.0 / 131072.0);
  return SCALE * (g + u) + SHIFT;
}
`;

export function tailFormulaConstants({ scale, shift, seed }: TailFormula) {
  return {
    SCALE: { type: 'f32', value: scale },
    SHIFT: { type: 'f32', value: shift },
    SEED: { type: 'u32', value: seed },
  } as const;
}
