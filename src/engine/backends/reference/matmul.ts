// Reference matrix multiply: i-k-j loops over row-major typed arrays, transposes made explicit first.
// Plain TypeScript, no Node APIs: this is also the browser's kernel.

import { Scratch } from './scratch.js';

const scratch = new Scratch();

/** y (m,n) = op(a)·op(b); see Backend.matmul. */
export function matmul(
  a: Float32Array, b: Float32Array, y: Float32Array, m: number, n: number, k: number, transA: boolean, transB: boolean,
): void {
  const A = transA ? transpose(a, k, m, scratch.get('a', m * k)) : a;
  const B = transB ? transpose(b, n, k, scratch.get('b', k * n)) : b;
  matmulNN(A, B, y, m, n, k);
}

/** y (m,n) = a (m,k) · b (k,n). Blocks of k keep a panel of b in cache while rows of y accumulate. */
export function matmulNN(a: Float32Array, b: Float32Array, y: Float32Array, m: number, n: number, k: number): void {
  y.fill(0, 0, m * n);
  const KB = 64;
  for (let k0 = 0; k0 < k; k0 += KB) {
    const k1 = Math.min(k, k0 + KB);
    for (let i = 0; i < m; i++) {
      const yo = i * n;
      const ao = i * k;
      for (let p = k0; p < k1; p++) {
        const av = a[ao + p];
        if (av === 0) continue; // ReLU outputs are often zero: skipping them is free speed
        const bo = p * n;
        for (let j = 0; j < n; j++) y[yo + j] += av * b[bo + j];
      }
    }
  }
}

/** x (rows,cols) → out (cols,rows). */
export function transpose(x: Float32Array, rows: number, cols: number, out: Float32Array): Float32Array {
  for (let r = 0; r < rows; r++) {
    const ro = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = x[ro + c];
  }
  return out;
}
