// Reference matrix multiply over row-major typed arrays, one loop nest per transpose case so that the
// innermost loop always runs along contiguous memory. Rows are taken four at a time so that each loaded
// value of b serves four rows of y (the JIT keeps the four accumulators in registers).
// Plain TypeScript, no Node APIs: this is also the browser's kernel.

import { Scratch } from './scratch.js';

const scratch = new Scratch();

/** y (m,n) = op(a)·op(b); see Backend.matmul. */
export function matmul(
  a: Float32Array, b: Float32Array, y: Float32Array, m: number, n: number, k: number, transA: boolean, transB: boolean,
): void {
  if (transA && transB) throw new Error('matmul: transA and transB together are not supported');
  if (transA) matmulTN(a, b, y, m, n, k);
  else if (transB) matmulNT(a, b, y, m, n, k);
  else matmulNN(a, b, y, m, n, k);
}

/** y (m,n) = a (m,k) · b (k,n). */
export function matmulNN(a: Float32Array, b: Float32Array, y: Float32Array, m: number, n: number, k: number): void {
  y.fill(0, 0, m * n);
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const y0 = i * n, y1 = y0 + n, y2 = y1 + n, y3 = y2 + n;
    const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
    for (let p = 0; p < k; p++) {
      const v0 = a[a0 + p], v1 = a[a1 + p], v2 = a[a2 + p], v3 = a[a3 + p];
      const bo = p * n;
      for (let j = 0; j < n; j++) {
        const bv = b[bo + j];
        y[y0 + j] += v0 * bv;
        y[y1 + j] += v1 * bv;
        y[y2 + j] += v2 * bv;
        y[y3 + j] += v3 * bv;
      }
    }
  }
  for (; i < m; i++) {
    const yo = i * n;
    for (let p = 0; p < k; p++) {
      const v = a[i * k + p];
      const bo = p * n;
      for (let j = 0; j < n; j++) y[yo + j] += v * b[bo + j];
    }
  }
}

/** y (m,n) = aᵀ·b with a (k,m), b (k,n): rank-1 updates, four rows of a and b at a time. */
export function matmulTN(a: Float32Array, b: Float32Array, y: Float32Array, m: number, n: number, k: number): void {
  y.fill(0, 0, m * n);
  let r = 0;
  for (; r + 4 <= k; r += 4) {
    const a0 = r * m, a1 = a0 + m, a2 = a1 + m, a3 = a2 + m;
    const b0 = r * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
    for (let i = 0; i < m; i++) {
      const v0 = a[a0 + i], v1 = a[a1 + i], v2 = a[a2 + i], v3 = a[a3 + i];
      const yo = i * n;
      for (let j = 0; j < n; j++) y[yo + j] += v0 * b[b0 + j] + v1 * b[b1 + j] + v2 * b[b2 + j] + v3 * b[b3 + j];
    }
  }
  for (; r < k; r++) {
    for (let i = 0; i < m; i++) {
      const v = a[r * m + i];
      const yo = i * n;
      for (let j = 0; j < n; j++) y[yo + j] += v * b[r * n + j];
    }
  }
}

/** y (m,n) = a·bᵀ with a (m,k), b (n,k). b is a weight matrix here (small): transposing it once lets the
 *  inner loop run along rows of both operands, which beats dot products of length k. */
export function matmulNT(a: Float32Array, b: Float32Array, y: Float32Array, m: number, n: number, k: number): void {
  const bt = scratch.get('bt', k * n);
  for (let j = 0; j < n; j++) {
    for (let p = 0; p < k; p++) bt[p * n + j] = b[j * k + p];
  }
  matmulNN(a, bt, y, m, n, k);
}
