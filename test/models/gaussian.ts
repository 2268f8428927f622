/**
 * A Gaussian "posterior" N(m, P^-1) written as a model (log density and gradient in WGSL, any D): an exact
 * target for families and optimizers that costs O(D^2) per sample, whatever posterior it stands for (e.g. the
 * exact posterior of a regression, without the regression's N rows of data per sample).
 */
import type { ModelDefinition } from '../../src/models/types';

export function gaussianModel(
  name: string,
  mean: readonly number[],
  precision: readonly (readonly number[])[],
): ModelDefinition {
  const d = mean.length;
  const f = (x: number) => (Number.isInteger(x) ? `${x}.0` : String(x));
  const wgsl = `
// ${name}: log N(z | m, P^-1) up to its constant; grad = -P (z - m). D = ${d}.
const GAUSS_M = array<f32, ${d}>(${mean.map(f).join(', ')});
const GAUSS_P = array<f32, ${d * d}>(${precision.flat().map(f).join(', ')});
fn model_log_joint(z: ptr<function, array<vec4<f32>, DV>>, grad: ptr<function, array<vec4<f32>, DV>>) -> f32 {
  var dev: array<f32, ${d}>;
  for (var i = 0u; i < ${d}u; i = i + 1u) {
    dev[i] = (*z)[i / 4u][i % 4u] - GAUSS_M[i];
  }
  *grad = array<vec4<f32>, DV>();
  var quad = 0.0;
  for (var i = 0u; i < ${d}u; i = i + 1u) {
    var pd = 0.0;
    for (var j = 0u; j < ${d}u; j = j + 1u) {
      pd = pd + GAUSS_P[i * ${d}u + j] * dev[j];
    }
    (*grad)[i / 4u][i % 4u] = -pd;
    quad = quad + dev[i] * pd;
  }
  return -0.5 * quad;
}
fn model_constrain(z: ptr<function, array<vec4<f32>, DV>>, out: ptr<function, array<vec4<f32>, RV>>) {
  for (var j = 0u; j < RV; j = j + 1u) {
    (*out)[j] = (*z)[j];
  }
}`;
  return {
    name,
    title: `A ${d}-dimensional Gaussian`,
    wgsl,
    dataFields: [],
    defaultData: () => ({}),
    prepare: () => ({
      dimension: d,
      paramNames: Array.from({ length: d }, (_, i) => `x[${i + 1}]`),
      constants: {},
      buffers: [],
    }),
  };
}

/** The inverse of a symmetric positive-definite matrix (Gauss-Jordan with partial pivoting, float64). */
export function inverse(a: readonly (readonly number[])[]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]?.[c] as number) > Math.abs(m[p]?.[c] as number)) p = r;
    [m[c], m[p]] = [m[p] as number[], m[c] as number[]];
    const pivot = m[c]?.[c] as number;
    m[c] = (m[c] as number[]).map((v) => v / pivot);
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const factor = m[r]?.[c] as number;
      m[r] = (m[r] as number[]).map((v, j) => v - factor * ((m[c] as number[])[j] as number));
    }
  }
  return m.map((row) => row.slice(n));
}
