// matmul and the dense layer's kernels, as GEMMs over packed panels. Every pointer is a byte offset into
// linear memory, every dimension a count of floats; `scratch` is where this call may put its panels.

import { gemm, gemmInPlace, packB, packedBytes, RELU } from './gemm';
import { addF32, align64, ensure, zeroF32 } from './memory';

/** Sums of the columns of dy (rows × cols) into db. */
export function columnSums(dy: usize, db: usize, rows: i32, cols: i32): void {
  zeroF32(db, cols);
  for (let r = 0; r < rows; r++) addF32(db, dy + ((<usize>r * <usize>cols) << 2), cols);
}

function packInto(scratch: usize, b: usize, rs: usize, cs: usize, k: i32, n: i32): usize {
  const packed = align64(scratch);
  ensure(packed + packedBytes(k, n) + 64);
  packB(b, rs, cs, k, n, packed);
  return packed;
}

/** y (m,n) = a (m,k) · b (k,n). */
export function matmulNN(a: usize, b: usize, y: usize, m: i32, n: i32, k: i32, scratch: usize): void {
  const packed = packInto(scratch, b, <usize>n, 1, k, n);
  gemm(a, (<usize>k) << 2, 4, packed, y, (<usize>n) << 2, m, n, k, 0, 0);
}

/** y (m,n) = aᵀ·b with a (k,m), b (k,n). */
export function matmulTN(a: usize, b: usize, y: usize, m: i32, n: i32, k: i32, scratch: usize): void {
  const packed = packInto(scratch, b, <usize>n, 1, k, n);
  gemm(a, 4, (<usize>m) << 2, packed, y, (<usize>n) << 2, m, n, k, 0, 0);
}

/** y (m,n) = a·bᵀ with a (m,k), b (n,k). */
export function matmulNT(a: usize, b: usize, y: usize, m: i32, n: i32, k: i32, scratch: usize): void {
  const packed = packInto(scratch, b, 1, <usize>k, k, n);
  gemm(a, (<usize>k) << 2, 4, packed, y, (<usize>n) << 2, m, n, k, 0, 0);
}

/** x (n,in), w (in,out), b (out) → y (n,out) = act(x·w + b); relu: 0 or 1. */
export function denseForward(x: usize, w: usize, b: usize, y: usize, n: i32, inSize: i32, outSize: i32, relu: i32, scratch: usize): void {
  const packed = packInto(scratch, w, <usize>outSize, 1, inSize, outSize);
  gemm(x, (<usize>inSize) << 2, 4, packed, y, (<usize>outSize) << 2, n, outSize, inSize, relu ? RELU : 0, b);
}

/** dw (in,out) = xᵀ·dy, db (out) = Σ dy unless db is 0, and dx (n,in) = dy·wᵀ unless dx is 0. */
export function denseBackward(x: usize, w: usize, dy: usize, dx: usize, dw: usize, db: usize, n: i32, inSize: i32, outSize: i32, scratch: usize): void {
  const ldy = (<usize>outSize) << 2;
  if (outSize % 8 == 0) gemmInPlace(x, 4, (<usize>inSize) << 2, dy, ldy, dw, ldy, inSize, outSize, n, 0, 0);
  else gemm(x, 4, (<usize>inSize) << 2, packInto(scratch, dy, <usize>outSize, 1, n, outSize), dw, ldy, inSize, outSize, n, 0, 0);
  if (db) columnSums(dy, db, n, outSize);
  if (!dx) return;
  const packed = packInto(scratch, w, 1, <usize>outSize, outSize, inSize);
  gemm(dy, (<usize>outSize) << 2, 4, packed, dx, (<usize>inSize) << 2, n, inSize, outSize, 0, 0);
}


