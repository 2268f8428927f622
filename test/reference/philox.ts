/** Philox4x32-10 in BigInt: an independent float-free reference for the WGSL generator. */
const MASK = 0xffffffffn;
const M0 = 0xd2511f53n;
const M1 = 0xcd9e8d57n;
const W0 = 0x9e3779b9n;
const W1 = 0xbb67ae85n;

export function philox4x32_10(counter: readonly number[], key: readonly number[]): number[] {
  let [c0, c1, c2, c3] = counter.map(BigInt) as [bigint, bigint, bigint, bigint];
  let [k0, k1] = key.map(BigInt) as [bigint, bigint];
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) & MASK;
      k1 = (k1 + W1) & MASK;
    }
    const p0 = M0 * c0;
    const p1 = M1 * c2;
    [c0, c1, c2, c3] = [(p1 >> 32n) ^ c1 ^ k0, p1 & MASK, (p0 >> 32n) ^ c3 ^ k1, p0 & MASK];
  }
  return [c0, c1, c2, c3].map(Number);
}
