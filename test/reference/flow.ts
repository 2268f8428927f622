/**
 * The RealNVP flow family in float64, written from its definition with explicit matrices per layer (W1 of
 * H x D acting on the masked input, Ws and Wt of D x H), forwards and inverted: an independent reference for
 * shaders/families/flow.wgsl. Only the lambda layout (where each weight lives, documented in the WGSL header)
 * is shared with the engine.
 */
import { vec4Count } from '../../src/models/types';
import { philoxNormal4 } from './lowrank';

export interface FlowLayer {
  /** Conditioning lanes (true) and transformed lanes (false). */
  readonly cond: boolean[];
  readonly w1: number[][];
  readonly b1: number[];
  readonly ws: number[][];
  readonly bs: number[];
  readonly wt: number[][];
  readonly bt: number[];
}

export interface FlowParams {
  readonly mean: number[];
  readonly omega: number[];
  readonly layers: FlowLayer[];
}

export const SCALE_BOUND = 2;

/** The float index of each weight in lambda (shaders/families/flow.wgsl's header). */
export function flowIndex(d: number, h: number) {
  const dv = vec4Count(d);
  const hv = vec4Count(h);
  const lb = 3 * h * dv + hv + 2 * dv;
  const at = (l: number, block: number, lane: number) => (2 * dv + l * lb + block) * 4 + lane;
  return {
    mean: (i: number) => i,
    omega: (i: number) => 4 * dv + i,
    w1: (l: number, j: number, i: number) => at(l, j * dv, i),
    b1: (l: number, j: number) => at(l, h * dv, j),
    ws: (l: number, i: number, j: number) => at(l, h * dv + hv + j * dv, i),
    bs: (l: number, i: number) => at(l, 2 * h * dv + hv, i),
    wt: (l: number, i: number, j: number) => at(l, 2 * h * dv + hv + dv + j * dv, i),
    bt: (l: number, i: number) => at(l, 3 * h * dv + hv + dv, i),
    floats: (layers: number) => (2 * dv + layers * lb) * 4,
  };
}

export function unpackFlow(lambda: ArrayLike<number>, d: number, layers: number, h: number): FlowParams {
  const ix = flowIndex(d, h);
  const at = (i: number) => lambda[i] as number;
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  return {
    mean: range(d).map((i) => at(ix.mean(i))),
    omega: range(d).map((i) => at(ix.omega(i))),
    layers: range(layers).map((l) => ({
      cond: range(d).map((i) => (i + l) % 2 === 0),
      w1: range(h).map((j) => range(d).map((i) => at(ix.w1(l, j, i)))),
      b1: range(h).map((j) => at(ix.b1(l, j))),
      ws: range(d).map((i) => range(h).map((j) => at(ix.ws(l, i, j)))),
      bs: range(d).map((i) => at(ix.bs(l, i))),
      wt: range(d).map((i) => range(h).map((j) => at(ix.wt(l, i, j)))),
      bt: range(d).map((i) => at(ix.bt(l, i))),
    })),
  };
}

/** The layer's log-scale s and shift t at input x (only the conditioning lanes of x are read). */
function scaleShift(layer: FlowLayer, x: readonly number[]): { s: number[]; t: number[] } {
  const xc = x.map((v, i) => (layer.cond[i] ? v : 0));
  const hidden = layer.w1.map((row, j) =>
    Math.tanh(row.reduce((a, w, i) => a + w * (xc[i] as number), layer.b1[j] as number)),
  );
  const affine = (w: number[][], b: number[]) =>
    w.map((row, i) => row.reduce((a, wij, j) => a + wij * (hidden[j] as number), b[i] as number));
  const rs = affine(layer.ws, layer.bs);
  const rt = affine(layer.wt, layer.bt);
  return {
    s: rs.map((r, i) => (layer.cond[i] ? 0 : SCALE_BOUND * Math.tanh(r / SCALE_BOUND))),
    t: rt.map((r, i) => (layer.cond[i] ? 0 : r)),
  };
}

/** z = T(eps) and log|det dz/deps|. */
export function forward(q: FlowParams, eps: readonly number[]): { z: number[]; logDet: number } {
  let x = [...eps];
  let logDet = q.omega.reduce((a, w) => a + w, 0);
  for (const layer of q.layers) {
    const { s, t } = scaleShift(layer, x);
    x = x.map((v, i) => v * Math.exp(s[i] as number) + (t[i] as number));
    logDet += s.reduce((a, v) => a + v, 0);
  }
  return { z: x.map((v, i) => (q.mean[i] as number) + Math.exp(q.omega[i] as number) * v), logDet };
}

/** eps = T^-1(z), layer by layer: the conditioning lanes pass through, so each layer inverts exactly. */
export function inverse(q: FlowParams, z: readonly number[]): number[] {
  let x = z.map((v, i) => (v - (q.mean[i] as number)) / Math.exp(q.omega[i] as number));
  for (const layer of [...q.layers].reverse()) {
    const { s, t } = scaleShift(layer, x);
    x = x.map((v, i) => (v - (t[i] as number)) * Math.exp(-(s[i] as number)));
  }
  return x;
}

function logNormal(eps: readonly number[]): number {
  return -0.5 * eps.reduce((a, v) => a + v * v, 0) - 0.5 * eps.length * Math.log(2 * Math.PI);
}

/** log q(z) by the change of variables, through the inverse. */
export function logQ(q: FlowParams, z: readonly number[]): number {
  const eps = inverse(q, z);
  return logNormal(eps) - forward(q, eps).logDet;
}

/** log q(T(eps)) from eps itself. */
export function logQAtNoise(q: FlowParams, eps: readonly number[]): number {
  return logNormal(eps) - forward(q, eps).logDet;
}

/** Sample s's eps of an optimizer step on fixed samples (counter (s, block, 0, 0), elbo_step.wgsl). */
export function stepNoise(s: number, d: number, seed: number): number[] {
  return Array.from({ length: vec4Count(d) }, (_, b) => philoxNormal4([s, b, 0, 0], seed))
    .flat()
    .slice(0, d);
}
