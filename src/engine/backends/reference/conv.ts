// Reference convolution: im2col into a (n·oh·ow, kh·kw·c) matrix, then one matrix multiply with the
// (kh·kw·c, oc) kernel (the NHWC kernel layout is already that matrix). Backward: the filter gradient is
// colᵀ·dy, the input gradient is dy·wᵀ scattered back by col2im.

import type { FusedActivation } from '../../backend.js';
import type { ConvGeometry, WindowGeometry } from '../../geometry.js';
import { matmul, matmulNN } from './matmul.js';
import { Scratch } from './scratch.js';

const scratch = new Scratch();

/** x (n,h,w,c) → col (n·oh·ow, kh·kw·c); padding cells are zero. */
export function im2col(x: Float32Array, col: Float32Array, g: WindowGeometry): void {
  const { n, h, w, c, kh, kw, strideH, strideW, padTop, padLeft, oh, ow } = g;
  const rowLen = kh * kw * c;
  let o = 0;
  for (let b = 0; b < n; b++) {
    const xb = b * h * w * c;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * strideH - padTop + ky;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * strideW - padLeft + kx;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
              col.fill(0, o, o + c);
            } else {
              const xo = xb + (iy * w + ix) * c;
              for (let ch = 0; ch < c; ch++) col[o + ch] = x[xo + ch];
            }
            o += c;
          }
        }
      }
    }
  }
  if (o !== n * oh * ow * rowLen) throw new Error('im2col: internal size mismatch');
}

/** col (n·oh·ow, kh·kw·c) → dx (n,h,w,c), adding overlapping windows. */
export function col2im(col: Float32Array, dx: Float32Array, g: WindowGeometry): void {
  const { n, h, w, c, kh, kw, strideH, strideW, padTop, padLeft, oh, ow } = g;
  dx.fill(0, 0, n * h * w * c);
  let o = 0;
  for (let b = 0; b < n; b++) {
    const xb = b * h * w * c;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * strideH - padTop + ky;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * strideW - padLeft + kx;
            if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
              const xo = xb + (iy * w + ix) * c;
              for (let ch = 0; ch < c; ch++) dx[xo + ch] += col[o + ch];
            }
            o += c;
          }
        }
      }
    }
  }
}

export function biasActivation(y: Float32Array, b: Float32Array | null, rows: number, cols: number, act: FusedActivation): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) {
      const v = b ? y[o + j] + b[j] : y[o + j];
      y[o + j] = act === 'relu' && v < 0 ? 0 : v;
    }
  }
}

/** db (cols) = column sums of dy (rows, cols). */
export function columnSums(dy: Float32Array, db: Float32Array, rows: number, cols: number): void {
  db.fill(0, 0, cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) db[j] += dy[o + j];
  }
}

export function conv2dForward(x: Float32Array, w: Float32Array, b: Float32Array | null, y: Float32Array, g: ConvGeometry, act: FusedActivation): void {
  const rows = g.n * g.oh * g.ow;
  const k = g.kh * g.kw * g.c;
  const col = scratch.get('col', rows * k);
  im2col(x, col, g);
  matmulNN(col, w, y, rows, g.oc, k);
  biasActivation(y, b, rows, g.oc, act);
}

export function conv2dBackwardInput(dy: Float32Array, w: Float32Array, dx: Float32Array, g: ConvGeometry): void {
  const rows = g.n * g.oh * g.ow;
  const k = g.kh * g.kw * g.c;
  const col = scratch.get('col', rows * k);
  matmul(dy, w, col, rows, k, g.oc, false, true);
  col2im(col, dx, g);
}

export function conv2dBackwardFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, db: Float32Array | null, g: ConvGeometry): void {
  const rows = g.n * g.oh * g.ow;
  const k = g.kh * g.kw * g.c;
  const col = scratch.get('col', rows * k);
  im2col(x, col, g);
  matmul(col, dy, dw, k, g.oc, rows, true, false);
  if (db) columnSums(dy, db, rows, g.oc);
}
