/**
 * The flow family's host side (src/vi/families/flow.ts, no GPU): its settings, its layout against the float64
 * reference's (test/reference/flow.ts, written from the WGSL header), the identity at the start, and the
 * marginals it estimates from its fixed draws against the reference's moments from independent draws.
 */
import { describe, expect, it } from 'vitest';
import { FLOW, flowFamily, flowLayout, resolveFlowShape } from '../../src/vi/families/flow';
import { flowIndex, forward, unpackFlow } from '../reference/flow';

const options = (flowLayers: number, flowHidden: number) => ({
  rank: 'auto' as const,
  flowLayers,
  flowHidden,
});

describe('flow family (host side)', () => {
  it('configures from flowLayers and flowHidden, refusing what does not fit and naming the setting', () => {
    expect(resolveFlowShape(options(4, 8), 2)).toEqual({ layers: 4, hidden: 8 });
    expect(resolveFlowShape(options(0, 8), 2)).toMatchObject({ setting: 'flowLayers' });
    expect(resolveFlowShape(options(9, 8), 2)).toMatchObject({ setting: 'flowLayers' });
    expect(resolveFlowShape(options(4, 33), 2)).toMatchObject({ setting: 'flowHidden' });
    // D = 16, 8 layers of 32 units: 8 + 8 (384 + 8 + 8) = 3208 blocks, over the limit of 1024.
    const big = resolveFlowShape(options(8, 32), 16);
    expect(big).toMatchObject({ setting: 'flowHidden' });
    expect('expected' in big && big.expected).toMatch(/3208 vec4 blocks of parameters, at most 1024/);
    const configured = FLOW.configure?.(options(3, 5), 5);
    expect(configured && 'blocks' in configured && configured.blocks(5)).toBe(2 * 2 + 3 * (30 + 2 + 4));
    expect(FLOW.maxDimension).toBe(16);
  });

  it('lays lambda out as the WGSL header says (the reference reads the same indices)', () => {
    for (const [d, h] of [
      [1, 1],
      [2, 8],
      [5, 5],
      [16, 3],
    ] as const) {
      const ours = flowLayout(d, { layers: 3, hidden: h });
      const ref = flowIndex(d, h);
      expect(ours.blocks * 4).toBe(ref.floats(3));
      for (let l = 0; l < 3; l++) {
        for (let j = 0; j < h; j++) {
          expect(ours.b1(l, j)).toBe(ref.b1(l, j));
          for (let i = 0; i < d; i++) {
            expect(ours.w1(l, j, i)).toBe(ref.w1(l, j, i));
            expect(ours.ws(l, j, i)).toBe(ref.ws(l, i, j));
            expect(ours.wt(l, j, i)).toBe(ref.wt(l, i, j));
          }
        }
        for (let i = 0; i < d; i++) {
          expect(ours.bs(l, i)).toBe(ref.bs(l, i));
          expect(ours.bt(l, i)).toBe(ref.bt(l, i));
        }
      }
    }
  });

  it('starts as the identity: q = N(0, I), every hidden unit different', () => {
    const d = 5;
    const family = flowFamily({ layers: 4, hidden: 8 });
    const lambda = family.initial(d);
    const q = unpackFlow(lambda, d, 4, 8);
    const eps = [0.3, -1.2, 2.0, 0.7, -0.4];
    forward(q, eps).z.forEach((z, i) => expect(z).toBe(eps[i]));
    expect(forward(q, eps).logDet).toBe(0);
    const firstLayer = new Set(q.layers[0]?.b1);
    expect(firstLayer.size).toBe(8);
    const { mean, sd } = family.marginals(lambda, d);
    mean.forEach((m) => expect(Math.abs(m)).toBeLessThan(0.06));
    sd.forEach((s) => expect(Math.abs(s - 1)).toBeLessThan(0.05));
  });

  it("estimates q's marginals as the reference's moments (independent draws)", () => {
    const d = 3;
    const shape = { layers: 2, hidden: 4 };
    const ix = flowIndex(d, shape.hidden);
    const lambda = new Float32Array(ix.floats(shape.layers));
    for (let i = 0; i < d; i++) {
      lambda[ix.mean(i)] = i - 1;
      lambda[ix.omega(i)] = 0.2 * i;
    }
    // Layer 0 moves lane 1 by a shift quadratic-ish in lane 0 (a banana), layer 1 scales lanes 0 and 2.
    for (let j = 0; j < shape.hidden; j++) {
      lambda[ix.w1(0, j, 0)] = 0.5 + 0.3 * j;
      lambda[ix.b1(0, j)] = 0.4 * j - 0.6;
      lambda[ix.wt(0, 1, j)] = j % 2 === 0 ? 0.8 : -0.5;
      lambda[ix.ws(0, 1, j)] = 0.2;
      lambda[ix.w1(1, j, 1)] = 0.3;
      lambda[ix.ws(1, 0, j)] = 0.25;
      lambda[ix.ws(1, 2, j)] = -0.2;
    }
    const { mean, sd } = flowFamily(shape).marginals(lambda, d);
    const q = unpackFlow(lambda, d, shape.layers, shape.hidden);
    let state = 7;
    const uniform = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return (state + 0.5) / 2 ** 32;
    };
    const n = 100_000;
    const sum = new Float64Array(d);
    const sq = new Float64Array(d);
    for (let k = 0; k < n; k++) {
      const eps = Array.from(
        { length: d },
        () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()),
      );
      forward(q, eps).z.forEach((z, i) => {
        sum[i] = (sum[i] as number) + z;
        sq[i] = (sq[i] as number) + z * z;
      });
    }
    for (let i = 0; i < d; i++) {
      const m = (sum[i] as number) / n;
      const s = Math.sqrt((sq[i] as number) / n - m * m);
      // 4096 fixed draws: standard errors about 0.016 sd for a mean and 1-2 % for an sd.
      expect(Math.abs((mean[i] as number) - m) / s).toBeLessThan(0.06);
      expect(Math.abs((sd[i] as number) / s - 1)).toBeLessThan(0.06);
    }
  });
});
