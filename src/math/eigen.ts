/**
 * The eigendecomposition of a real symmetric matrix in float64, by cyclic Jacobi rotations: what the Stan back end
 * computes on the host for `eigenvalues_sym` / `eigenvectors_sym` of data (src/stan/interpret.ts). Jacobi is
 * chosen over tridiagonalisation + QR for its simplicity and its accuracy (small eigenvalues to high relative
 * precision); the matrices are data-sized (tens to hundreds of rows), so its O(n^3) per sweep costs nothing next
 * to a fit.
 */

export interface SymmetricEigen {
  /** Ascending, as Stan returns them. */
  readonly values: Float64Array;
  /** Row-major n x n; column k is the unit eigenvector of values[k] (its sign is arbitrary, as in Stan). */
  readonly vectors: Float64Array;
}

/** At most this many sweeps; each sweep squares the off-diagonal mass once converging, so ~10 suffice. */
const MAX_SWEEPS = 100;

/**
 * Eigenvalues and eigenvectors of the symmetric n x n matrix `a` (row-major). Only its lower triangle is read,
 * as Eigen's SelfAdjointEigenSolver (Stan's) does.
 */
export function symmetricEigen(a: ArrayLike<number>, n: number): SymmetricEigen {
  if (a.length !== n * n) throw new Error(`symmetricEigen: ${a.length} entries for a ${n} x ${n} matrix`);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      const v = a[i * n + j] as number;
      A[i * n + j] = v;
      A[j * n + i] = v;
    }
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  let total = 0;
  for (let k = 0; k < n * n; k++) total += (A[k] as number) ** 2;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += (A[p * n + q] as number) ** 2;
    // Converged when the off-diagonal part is negligible next to the whole (relative 1e-16 in norm).
    if (!(off > 1e-32 * total)) break;
    for (let p = 0; p < n - 1; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q] as number;
        if (apq === 0) continue;
        const app = A[p * n + p] as number;
        const aqq = A[q * n + q] as number;
        // The rotation angle phi that zeroes A[p][q]: t = tan(phi), the smaller root of t^2 + 2 theta t - 1 = 0.
        const theta = (aqq - app) / (2 * apq);
        const t =
          Math.abs(theta) > 1e150
            ? 1 / (2 * theta)
            : (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A <- P^T A P, columns then rows of p and q; V <- V P.
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p] as number;
          const akq = A[k * n + q] as number;
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k] as number;
          const aqk = A[q * n + k] as number;
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        A[p * n + q] = 0;
        A[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p] as number;
          const vkq = V[k * n + q] as number;
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (x, y) => (A[x * n + x] as number) - (A[y * n + y] as number),
  );
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((from, to) => {
    values[to] = A[from * n + from] as number;
    for (let k = 0; k < n; k++) vectors[k * n + to] = V[k * n + from] as number;
  });
  return { values, vectors };
}
