/**
 * A RealNVP normalizing flow (shaders/families/flow.wgsl): z = mu + sigma * C_{L-1}(... C_0(eps)), L affine
 * coupling layers (settings.flowLayers, default 4), each a one-hidden-layer tanh MLP of H units
 * (settings.flowHidden, default 8) giving a bounded log-scale and a shift for the lanes the layer transforms
 * (layers alternate halves), and a final elementwise affine layer that makes it contain the mean-field
 * Gaussian. It starts as meanfield's N(0, I) (the MLPs' output weights are 0). No closed-form entropy: the
 * objective takes -log q per sample (change of variables). Its marginals have no closed form either: the host
 * estimates them from a fixed set of draws (common random numbers, so nearby lambdas give smoothly nearby
 * answers, as the stopping rules need).
 */
import flowWgsl from '../../../shaders/families/flow.wgsl?raw';
import type { WgslConstant } from '../../gpu/wgsl';
import { vec4Count } from '../../models/types';
import type { FamilyDescriptor, FamilyOptionProblem, FamilyOptions } from './types';

export const DEFAULT_FLOW_LAYERS = 4;
export const DEFAULT_FLOW_HIDDEN = 8;
export const MAX_FLOW_LAYERS = 8;
export const MAX_FLOW_HIDDEN = 32;
/** Largest D: each thread holds D-wide activations per layer and the gradient accumulators in registers. */
export const FLOW_MAX_DIMENSION = 16;
/**
 * The most vec4 blocks of lambda (and so of each thread's gradient accumulators): 16 KiB per thread, four
 * times full-rank's at D = 32; beyond it the per-thread arrays spill far out of registers.
 */
export const MAX_FLOW_BLOCKS = 1024;
/** |s| < FL_S_BOUND per layer: s = bound * tanh(raw / bound). */
export const FLOW_SCALE_BOUND = 2;
/** Draws of the fixed set the host estimates q's marginals from. */
const MARGINAL_DRAWS = 4096;

export interface FlowShape {
  readonly layers: number;
  readonly hidden: number;
}

/** Where each part of a layer lives in lambda (float indices), as flow.wgsl lays it out. */
export function flowLayout(d: number, shape: FlowShape) {
  const dv = vec4Count(d);
  const h = shape.hidden;
  const hv = vec4Count(h);
  const layerBlocks = 3 * h * dv + hv + 2 * dv;
  const base = 2 * dv;
  const layer = (l: number) => (base + l * layerBlocks) * 4;
  return {
    blocks: base + shape.layers * layerBlocks,
    layerBlocks,
    mu: (i: number) => i,
    omega: (i: number) => dv * 4 + i,
    w1: (l: number, j: number, i: number) => layer(l) + j * dv * 4 + i,
    b1: (l: number, j: number) => layer(l) + h * dv * 4 + j,
    ws: (l: number, j: number, i: number) => layer(l) + (h * dv + hv + j * dv) * 4 + i,
    bs: (l: number, i: number) => layer(l) + (2 * h * dv + hv) * 4 + i,
    wt: (l: number, j: number, i: number) => layer(l) + (2 * h * dv + hv + dv + j * dv) * 4 + i,
    bt: (l: number, i: number) => layer(l) + (3 * h * dv + hv + dv) * 4 + i,
  };
}

export function resolveFlowShape(options: FamilyOptions, d: number): FlowShape | FamilyOptionProblem {
  const { flowLayers: layers, flowHidden: hidden } = options;
  if (!Number.isInteger(layers) || layers < 1 || layers > MAX_FLOW_LAYERS) {
    return { setting: 'flowLayers', expected: `an integer in [1, ${MAX_FLOW_LAYERS}]` };
  }
  if (!Number.isInteger(hidden) || hidden < 1 || hidden > MAX_FLOW_HIDDEN) {
    return { setting: 'flowHidden', expected: `an integer in [1, ${MAX_FLOW_HIDDEN}]` };
  }
  const blocks = flowLayout(d, { layers, hidden }).blocks;
  if (blocks > MAX_FLOW_BLOCKS) {
    return {
      setting: 'flowHidden',
      expected:
        `fewer hidden units or layers: at D = ${d}, ${layers} layers of ${hidden} take ${blocks} vec4 blocks ` +
        `of parameters, at most ${MAX_FLOW_BLOCKS}`,
    };
  }
  return { layers, hidden };
}

/** Deterministic values in [-1, 1) for the first layer's weights (a zero W1 would make every unit alike). */
function spread(a: number, b: number, c: number): number {
  return (((a + 1) * 7919 + (b + 1) * 104729 + (c + 1) * 1299709) % 2000) / 1000 - 1;
}

/** x <- C_l(x) in float64 (conditioning lanes i with i + l even); returns sum(s). */
function couplingForward(
  lambda: ArrayLike<number>,
  d: number,
  shape: FlowShape,
  layout: ReturnType<typeof flowLayout>,
  l: number,
  x: Float64Array,
): number {
  const h = new Float64Array(shape.hidden);
  for (let j = 0; j < shape.hidden; j++) {
    let a = lambda[layout.b1(l, j)] as number;
    for (let i = l % 2 === 0 ? 0 : 1; i < d; i += 2)
      a += (lambda[layout.w1(l, j, i)] as number) * (x[i] as number);
    h[j] = Math.tanh(a);
  }
  let logDet = 0;
  for (let i = l % 2 === 0 ? 1 : 0; i < d; i += 2) {
    let rs = lambda[layout.bs(l, i)] as number;
    let rt = lambda[layout.bt(l, i)] as number;
    for (let j = 0; j < shape.hidden; j++) {
      rs += (h[j] as number) * (lambda[layout.ws(l, j, i)] as number);
      rt += (h[j] as number) * (lambda[layout.wt(l, j, i)] as number);
    }
    const s = FLOW_SCALE_BOUND * Math.tanh(rs / FLOW_SCALE_BOUND);
    x[i] = (x[i] as number) * Math.exp(s) + rt;
    logDet += s;
  }
  return logDet;
}

/** Standard normals from a fixed generator (xorshift32 and Box-Muller): the host's draws for the marginals. */
function fixedNormals(count: number): Float64Array {
  const out = new Float64Array(count);
  let state = 0x9e3779b9;
  const uniform = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) + 0.5) / 2 ** 32;
  };
  for (let n = 0; n < count; n += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const angle = 2 * Math.PI * uniform();
    out[n] = r * Math.cos(angle);
    if (n + 1 < count) out[n + 1] = r * Math.sin(angle);
  }
  return out;
}

/** The compile-time constants flow.wgsl needs for a shape. */
export function flowConstants(d: number, shape: FlowShape): Readonly<Record<string, WgslConstant>> {
  return {
    FL_L: shape.layers,
    FL_H: shape.hidden,
    FL_HV: vec4Count(shape.hidden),
    FL_LB: flowLayout(d, shape).layerBlocks,
    FL_BASE: 2 * vec4Count(d),
    FL_S_BOUND: { type: 'f32', value: FLOW_SCALE_BOUND },
  };
}

const normalsCache = new Map<number, Float64Array>();

export function flowFamily(shape: FlowShape): FamilyDescriptor {
  return {
    ...FLOW,
    title: `RealNVP flow (${shape.layers} coupling layers of ${shape.hidden} tanh units)`,
    blocks: (d) => flowLayout(d, shape).blocks,
    constants: (d) => flowConstants(d, shape),
    initial(d, scale = 1) {
      const layout = flowLayout(d, shape);
      const lambda = new Float32Array(layout.blocks * 4);
      for (let i = 0; i < d; i++) lambda[layout.omega(i)] = Math.log(scale);
      // W1 of unit variance in its fan-in (the ~D/2 conditioning lanes) and b1 spread over [-1, 1), so the
      // hidden units start different and in tanh's responsive range; Ws, Wt, bs, bt = 0: every coupling is
      // the identity and q is N(mu, sigma^2) with meanfield's start (mu = 0, omega = log scale).
      const fanIn = Math.max(1, Math.floor(d / 2));
      for (let l = 0; l < shape.layers; l++) {
        for (let j = 0; j < shape.hidden; j++) {
          lambda[layout.b1(l, j)] = spread(l, j, 977);
          for (let i = l % 2 === 0 ? 0 : 1; i < d; i += 2) {
            lambda[layout.w1(l, j, i)] = (Math.sqrt(3) * spread(l, j, i)) / Math.sqrt(fanIn);
          }
        }
      }
      return lambda;
    },
    marginals(lambda, d) {
      const layout = flowLayout(d, shape);
      let normals = normalsCache.get(d);
      if (!normals) {
        normals = fixedNormals(MARGINAL_DRAWS * d);
        normalsCache.set(d, normals);
      }
      const sum = new Float64Array(d);
      const sumSq = new Float64Array(d);
      const x = new Float64Array(d);
      for (let n = 0; n < MARGINAL_DRAWS; n++) {
        for (let i = 0; i < d; i++) x[i] = normals[n * d + i] as number;
        for (let l = 0; l < shape.layers; l++) couplingForward(lambda, d, shape, layout, l, x);
        for (let i = 0; i < d; i++) {
          const z =
            (lambda[layout.mu(i)] as number) + Math.exp(lambda[layout.omega(i)] as number) * (x[i] as number);
          sum[i] = (sum[i] as number) + z;
          sumSq[i] = (sumSq[i] as number) + z * z;
        }
      }
      const mean = Array.from(sum, (s) => s / MARGINAL_DRAWS);
      const sd = Array.from(sumSq, (s, i) =>
        Math.sqrt(Math.max(0, (s - MARGINAL_DRAWS * (mean[i] as number) ** 2) / (MARGINAL_DRAWS - 1))),
      );
      return { mean, sd };
    },
  };
}

const DEFAULT_SHAPE: FlowShape = { layers: DEFAULT_FLOW_LAYERS, hidden: DEFAULT_FLOW_HIDDEN };

/** The registry's entry: its shape is set by configure once D is known (settings.flowLayers, flowHidden). */
export const FLOW: FamilyDescriptor = {
  name: 'flow',
  title: 'RealNVP normalizing flow',
  wgsl: flowWgsl,
  maxDimension: FLOW_MAX_DIMENSION,
  hasScore: true,
  closedFormEntropy: false,
  stanLogG: 'log-q',
  entropyTerm: 'pathwise',
  options: ['flowLayers', 'flowHidden'],
  blocks: (d) => flowLayout(d, DEFAULT_SHAPE).blocks,
  constants: (d) => flowConstants(d, DEFAULT_SHAPE),
  initial: (d, scale) => flowFamily(DEFAULT_SHAPE).initial(d, scale),
  marginals: (lambda, d) => flowFamily(DEFAULT_SHAPE).marginals(lambda, d),
  configure(options: FamilyOptions, dimension: number) {
    const shape = resolveFlowShape(options, dimension);
    return 'setting' in shape ? shape : flowFamily(shape);
  },
};
