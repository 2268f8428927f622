/**
 * Deterministic synthetic data for the built-in models: a small seeded PRNG, so the page, the tests and the
 * benchmarks generate the same data from the same seed without shipping it.
 */

/** A seeded source of uniforms in (0, 1) and standard normals (mulberry32 and Box–Muller). */
export interface SeededRandom {
  uniform(): number;
  normal(): number;
}

export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  // mulberry32: tiny, fast and good enough for test data; the exact stream is part of the data's identity.
  const next32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  // Offset by half a step so the uniform is never 0 (Box–Muller takes its log) and never 1.
  const uniform = (): number => (next32() + 0.5) / 4294967296;
  let spare: number | undefined;
  const normal = (): number => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(uniform()));
    const angle = 2 * Math.PI * uniform();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
  return { uniform, normal };
}

/** Rounds to `digits` decimals, so generated data reads well as JSON and survives a round trip unchanged. */
export function roundTo(x: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(x * scale) / scale;
}
