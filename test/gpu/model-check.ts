/**
 * The check every built-in model passes: its float64 reference gradient matches finite differences, and its
 * WGSL log joint, gradient and reported values match the float64 reference at random points.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { DataError, type StanData } from '../../src/models/data';
import { evaluateModel } from '../../src/models/evaluate';
import type { ModelDefinition } from '../../src/models/types';
import { finiteDifferenceGradient, type ReferenceModel } from '../reference/models';
import { testDevice } from './gpu-context';

export interface ModelCheck {
  readonly model: ModelDefinition;
  readonly reference: (data: StanData) => ReferenceModel;
  /** Data to check on (default: the model's built-in data). */
  readonly data?: StanData;
  /** Random points are uniform in [-scale, scale] on the unconstrained space. */
  readonly scale: number;
  /** Relative tolerance of the f32 WGSL against float64 (default 1e-4). */
  readonly tolerance?: number;
}

export function randomPoints(count: number, dimension: number, scale: number, seed: number): Float64Array[] {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  return Array.from({ length: count }, () =>
    Float64Array.from({ length: dimension }, () => scale * (2 * uniform() - 1)),
  );
}

export function checkModel({
  model,
  reference,
  data: customData,
  scale,
  tolerance = 1e-4,
}: ModelCheck): void {
  describe(`model ${model.name}`, () => {
    const data = customData ?? model.defaultData();
    const prepared = model.prepare(data);
    const ref = reference(data);
    const points = randomPoints(64, prepared.dimension, scale, 42);
    let ctx: GpuContext;
    beforeAll(async () => {
      ctx = await testDevice();
    });
    afterAll(() => ctx?.device.destroy());

    it('float64 reference gradient matches finite differences', () => {
      for (const z of points.slice(0, 16)) {
        const fd = finiteDifferenceGradient((x) => ref.logJoint(x).lp, z);
        const { grad } = ref.logJoint(z);
        grad.forEach((g, i) =>
          expect(Math.abs(g - (fd[i] as number))).toBeLessThan(1e-5 * (1 + Math.abs(g))),
        );
      }
    });

    // A model with a batch entry point is checked at one sample per call, at an odd batch and at its largest.
    const maxBatch = prepared.maxBatch ?? 1;
    const batches = [...new Set([1, Math.min(3, maxBatch), maxBatch])];
    it.each(batches)(
      'WGSL log joint, gradient and reported values match the float64 reference (%i per model call)',
      async (batch) => {
        const gpu = await evaluateModel(ctx, model, prepared, points, batch);
        points.forEach((z, i) => {
          const { lp, grad } = ref.logJoint(z);
          const result = gpu[i];
          if (!result) throw new Error(`no GPU result for point ${i}`);
          expect(Math.abs(result.logJoint - lp)).toBeLessThan(tolerance * (1 + Math.abs(lp)));
          const gradScale = 1 + Math.max(...Array.from(grad, Math.abs));
          grad.forEach((g, k) =>
            expect(Math.abs((result.gradient[k] as number) - g)).toBeLessThan(tolerance * gradScale),
          );
          const reported = ref.reported(z);
          expect(result.reported.length).toBe(prepared.paramNames.length);
          reported.forEach((v, k) =>
            expect(Math.abs((result.reported[k] as number) - v)).toBeLessThan(tolerance * (1 + Math.abs(v))),
          );
        });
      },
    );
  });
}

/** The field a DataError names (fails the test if fn throws anything else, or nothing). */
export function rejectedField(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof DataError) return error.field;
    throw error;
  }
  throw new Error('expected a DataError, but nothing was thrown');
}
