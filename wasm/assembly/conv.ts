// Convolution over NHWC data as blocked im2col + GEMM: a block of output positions is unfolded into a
// (rows × kh·kw·c) matrix small enough to stay in cache, then multiplied by the packed kernel, so the whole
// im2col matrix never exists. The backward passes use the same blocks: dcol = dy·wᵀ folded back by col2im,
// and dw += colᵀ·dy. The geometry is set once per call with setGeometry (geometry.ts).

import { ACCUMULATE, gemm, gemmInPlace, packB, packedBytes, RELU } from './gemm';
import { addF32, align64, copyF32, ensure, zeroF32 } from './memory';
import { columnSums } from './dense';
import { C, H, KH, KW, N, OC, OH, OW, PL, PT, SH, SW, W } from './geometry';

/** Rows of the im2col block: about 96 KiB of it, a multiple of 4, at least 4. */
function blockRows(k: i32): i32 {
  return max<i32>(4, min<i32>(4096, (98304 / max<i32>(k * 4, 1)) & ~3));
}

// The current output row's window: its batch image, top-left input cell, and the kx range inside the input.
// Rows are visited in order, so the position advances by counting instead of dividing (an integer division
// per row costs as much as the whole row when the input has one channel).
let rowB = 0, rowOy = 0, rowOx = 0, rowY = 0, rowX = 0, kx0 = 0, kx1 = 0;

// @ts-ignore: decorator
@inline
function placeWindow(): void {
  rowY = rowOy * SH - PT;
  rowX = rowOx * SW - PL;
  kx0 = max<i32>(0, -rowX);
  kx1 = min<i32>(KW, W - rowX);
}

/** Positions the window at output row r. */
// @ts-ignore: decorator
@inline
function seekRow(r: i32): void {
  const t = r / OW;
  rowOx = r - t * OW;
  rowB = t / OH;
  rowOy = t - rowB * OH;
  placeWindow();
}

/** Moves the window to the next output row. */
// @ts-ignore: decorator
@inline
function nextRow(): void {
  if (++rowOx == OW) {
    rowOx = 0;
    if (++rowOy == OH) {
      rowOy = 0;
      rowB++;
    }
  }
  placeWindow();
}

/** Offset (floats) into x of input cell (rowY + ky, rowX + kx0), or −1 when that window row is outside. */
// @ts-ignore: decorator
@inline
function segmentStart(ky: i32): i32 {
  const iy = rowY + ky;
  if (iy < 0 || iy >= H || kx0 >= kx1) return -1;
  return ((rowB * H + iy) * W + rowX + kx0) * C;
}

/** col (r1−r0, kh·kw·c) = the input windows of output rows [r0, r1); cells outside the input are 0. */
function im2colRows(x: usize, col: usize, r0: i32, r1: i32): void {
  const rowLen = KH * KW * C;
  seekRow(r0);
  for (let r = r0; r < r1; r++, nextRow()) {
    const d = col + ((<usize>(r - r0) * <usize>rowLen) << 2);
    for (let ky = 0; ky < KH; ky++) {
      const dk = d + ((<usize>(ky * KW * C)) << 2);
      const src = segmentStart(ky);
      if (src < 0) {
        zeroF32(dk, KW * C);
        continue;
      }
      if (kx0 > 0) zeroF32(dk, kx0 * C);
      copyF32(dk + ((<usize>(kx0 * C)) << 2), x + ((<usize>src) << 2), (kx1 - kx0) * C);
      if (kx1 < KW) zeroF32(dk + ((<usize>(kx1 * C)) << 2), (KW - kx1) * C);
    }
  }
}

/** dx += the columns of col (r1−r0, kh·kw·c) added back at their input cells. */
function col2imRows(col: usize, dx: usize, r0: i32, r1: i32): void {
  const rowLen = KH * KW * C;
  seekRow(r0);
  for (let r = r0; r < r1; r++, nextRow()) {
    const d = col + ((<usize>(r - r0) * <usize>rowLen) << 2);
    for (let ky = 0; ky < KH; ky++) {
      const dst = segmentStart(ky);
      if (dst < 0) continue;
      addF32(dx + ((<usize>dst) << 2), d + ((<usize>(ky * KW * C + kx0 * C)) << 2), (kx1 - kx0) * C);
    }
  }
}

/** A 1x1 convolution with stride 1 and no padding: im2col would be the input itself. */
function pointwise(): bool {
  return KH == 1 && KW == 1 && SH == 1 && SW == 1 && PT == 0 && PL == 0;
}

/** x (n,h,w,c), w (kh,kw,c,oc), b (oc; 0: none) → y (n,oh,ow,oc) = act(conv(x, w) + b); relu: 0 or 1. */
export function conv2dForward(x: usize, w: usize, b: usize, y: usize, relu: i32, scratch: usize): void {
  const k = KH * KW * C, rows = N * OH * OW, ldc = (<usize>OC) << 2;
  const packed = align64(scratch);
  const col = align64(packed + packedBytes(k, OC));
  const step = blockRows(k);
  const flags = relu ? RELU : 0;
  ensure(col + (<usize>step * <usize>k << 2) + 64);
  packB(w, <usize>OC, 1, k, OC, packed);
  if (pointwise()) {
    gemm(x, (<usize>k) << 2, 4, packed, y, ldc, rows, OC, k, flags, b);
    return;
  }
  for (let r0 = 0; r0 < rows; r0 += step) {
    const r1 = min<i32>(rows, r0 + step);
    im2colRows(x, col, r0, r1);
    gemm(col, (<usize>k) << 2, 4, packed, y + <usize>r0 * ldc, ldc, r1 - r0, OC, k, flags, b);
  }
}

/** dy (n,oh,ow,oc), w (kh,kw,c,oc) → dx (n,h,w,c). */
export function conv2dBackwardInput(dy: usize, w: usize, dx: usize, scratch: usize): void {
  const k = KH * KW * C, rows = N * OH * OW, ldy = (<usize>OC) << 2;
  const packed = align64(scratch);
  const col = align64(packed + packedBytes(OC, k));
  const step = blockRows(k);
  ensure(col + (<usize>step * <usize>k << 2) + 64);
  packB(w, 1, <usize>OC, OC, k, packed); // wᵀ: (oc × k)
  if (pointwise()) {
    gemm(dy, ldy, 4, packed, dx, (<usize>k) << 2, rows, k, OC, 0, 0);
    return;
  }
  zeroF32(dx, N * H * W * C);
  for (let r0 = 0; r0 < rows; r0 += step) {
    const r1 = min<i32>(rows, r0 + step);
    gemm(dy + <usize>r0 * ldy, ldy, 4, packed, col, (<usize>k) << 2, r1 - r0, k, OC, 0, 0);
    col2imRows(col, dx, r0, r1);
  }
}

/** x (n,h,w,c), dy (n,oh,ow,oc) → dw (kh,kw,c,oc), db (oc; 0: not computed). */
export function conv2dBackwardFilter(x: usize, dy: usize, dw: usize, db: usize, scratch: usize): void {
  const k = KH * KW * C, rows = N * OH * OW, ldy = (<usize>OC) << 2;
  const step = blockRows(k);
  const packed = align64(scratch);
  const col = align64(packed + packedBytes(step, OC));
  ensure(col + (<usize>step * <usize>k << 2) + 64);
  zeroF32(dw, k * OC);
  for (let r0 = 0; r0 < rows; r0 += step) {
    const r1 = min<i32>(rows, r0 + step);
    const a = pointwise() ? x + ((<usize>r0 * <usize>k) << 2) : col;
    if (!pointwise()) im2colRows(x, col, r0, r1);
    // dy's rows are the panels' rows: read in place when whole panels fit across them.
    const dyBlock = dy + <usize>r0 * ldy;
    if (OC % 8 == 0) gemmInPlace(a, 4, (<usize>k) << 2, dyBlock, ldy, dw, ldy, k, OC, r1 - r0, ACCUMULATE, 0);
    else {
      packB(dyBlock, <usize>OC, 1, r1 - r0, OC, packed);
      gemm(a, 4, (<usize>k) << 2, packed, dw, ldy, k, OC, r1 - r0, ACCUMULATE, 0);
    }
  }
  if (db) columnSums(dy, db, rows, OC);
}

