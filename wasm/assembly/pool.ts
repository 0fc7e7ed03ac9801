// Pooling over NHWC windows, four channels at a time (channels are contiguous in NHWC), the last
// channels one by one. Max pooling keeps the first maximum (strict >) and never lets padding win, as the
// reference does; average pooling divides by the cells inside the input (TensorFlow's 'same').

import { C, H, KH, KW, N, OH, OW, PL, PT, SH, SW, W } from './geometry';
import { addF32, zeroF32 } from './memory';

const LANES = i32x4(0, 1, 2, 3);

// The current output cell's window, clipped to the input: rows [wy0, wy1), columns [wx0, wx1).
let wy0 = 0, wy1 = 0, wx0 = 0, wx1 = 0;

// @ts-ignore: decorator
@inline
function enterWindow(oy: i32, ox: i32): void {
  const y = oy * SH - PT, x = ox * SW - PL;
  wy0 = max<i32>(y, 0);
  wy1 = min<i32>(y + KH, H);
  wx0 = max<i32>(x, 0);
  wx1 = min<i32>(x + KW, W);
}

/** x (n,h,w,c) → y (n,oh,ow,c) and argmax (int32, the flat index into x of each maximum). */
export function maxPool2dForward(x: usize, y: usize, argmax: usize): void {
  const negInf = f32x4.splat(-Infinity);
  let o: usize = 0;
  for (let b = 0; b < N; b++) {
    const xb = b * H * W * C;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        enterWindow(oy, ox);
        const first = xb + (wy0 * W + wx0) * C;
        let ch = 0;
        for (; ch + 4 <= C; ch += 4) {
          let best = negInf;
          let at = i32x4.add(i32x4.splat(first + ch), LANES);
          for (let iy = wy0; iy < wy1; iy++) {
            for (let ix = wx0; ix < wx1; ix++) {
              const i = xb + (iy * W + ix) * C + ch;
              const v = v128.load(x + (<usize>i << 2));
              const m = f32x4.gt(v, best);
              best = v128.bitselect(v, best, m);
              at = v128.bitselect(i32x4.add(i32x4.splat(i), LANES), at, m);
            }
          }
          // No cell beat −∞ (all −∞ or NaN): the reference reports the window's first cell.
          const firstV = v128.load(x + (<usize>(first + ch) << 2));
          v128.store(y + (o << 2), v128.bitselect(best, firstV, f32x4.gt(best, negInf)));
          v128.store(argmax + (o << 2), at);
          o += 4;
        }
        for (; ch < C; ch++) {
          let best: f32 = -Infinity;
          let at = first + ch;
          for (let iy = wy0; iy < wy1; iy++) {
            for (let ix = wx0; ix < wx1; ix++) {
              const i = xb + (iy * W + ix) * C + ch;
              const v = load<f32>(x + (<usize>i << 2));
              if (v > best) {
                best = v;
                at = i;
              }
            }
          }
          store<f32>(y + (o << 2), load<f32>(x + (<usize>at << 2)));
          store<i32>(argmax + (o << 2), at);
          o++;
        }
      }
    }
  }
}

/** dy (n,oh,ow,c) → dx (n,h,w,c): each dy added at its argmax. */
export function maxPool2dBackward(dy: usize, argmax: usize, dx: usize): void {
  zeroF32(dx, N * H * W * C);
  const outSize = N * OH * OW * C;
  for (let i = 0; i < outSize; i++) {
    const p = dx + (<usize>load<i32>(argmax + (<usize>i << 2)) << 2);
    store<f32>(p, load<f32>(p) + load<f32>(dy + (<usize>i << 2)));
  }
}

/** x (n,h,w,c) → y (n,oh,ow,c): the mean of each window's cells inside the input. */
export function avgPool2dForward(x: usize, y: usize): void {
  let o: usize = 0;
  for (let b = 0; b < N; b++) {
    const xb = b * H * W * C;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        enterWindow(oy, ox);
        const count = <f32>((wy1 - wy0) * (wx1 - wx0));
        const countV = f32x4.splat(count);
        let ch = 0;
        for (; ch + 4 <= C; ch += 4) {
          let sum = f32x4.splat(0);
          for (let iy = wy0; iy < wy1; iy++) {
            for (let ix = wx0; ix < wx1; ix++) sum = f32x4.add(sum, v128.load(x + (<usize>(xb + (iy * W + ix) * C + ch) << 2)));
          }
          v128.store(y + (o << 2), f32x4.div(sum, countV));
          o += 4;
        }
        for (; ch < C; ch++) {
          let sum: f32 = 0;
          for (let iy = wy0; iy < wy1; iy++) {
            for (let ix = wx0; ix < wx1; ix++) sum += load<f32>(x + (<usize>(xb + (iy * W + ix) * C + ch) << 2));
          }
          store<f32>(y + (o << 2), sum / count);
          o++;
        }
      }
    }
  }
}

/** dy (n,oh,ow,c) → dx (n,h,w,c): each dy spread evenly over its window's cells inside the input. */
export function avgPool2dBackward(dy: usize, dx: usize): void {
  zeroF32(dx, N * H * W * C);
  let o: usize = 0;
  for (let b = 0; b < N; b++) {
    const xb = b * H * W * C;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        enterWindow(oy, ox);
        const count = <f32>((wy1 - wy0) * (wx1 - wx0));
        let ch = 0;
        for (; ch + 4 <= C; ch += 4) {
          const share = f32x4.div(v128.load(dy + (o << 2)), f32x4.splat(count));
          for (let iy = wy0; iy < wy1; iy++) {
            for (let ix = wx0; ix < wx1; ix++) {
              const p = dx + (<usize>(xb + (iy * W + ix) * C + ch) << 2);
              v128.store(p, f32x4.add(v128.load(p), share));
            }
          }
          o += 4;
        }
        for (; ch < C; ch++) {
          const share = load<f32>(dy + (o << 2)) / count;
          for (let iy = wy0; iy < wy1; iy++) {
            for (let ix = wx0; ix < wx1; ix++) {
              const p = dx + (<usize>(xb + (iy * W + ix) * C + ch) << 2);
              store<f32>(p, load<f32>(p) + share);
            }
          }
          o++;
        }
      }
    }
  }
}

/** x (n,hw,c) → y (n,c): the mean over the spatial positions. */
export function globalAvgPoolForward(x: usize, y: usize, n: i32, hw: i32, c: i32): void {
  const hwV = f32x4.splat(<f32>hw);
  for (let b = 0; b < n; b++) {
    const yb = y + ((<usize>b * <usize>c) << 2);
    zeroF32(yb, c);
    for (let p = 0; p < hw; p++) addF32(yb, x + (((<usize>b * <usize>hw + <usize>p) * <usize>c) << 2), c);
    let ch = 0;
    for (; ch + 4 <= c; ch += 4) {
      const q = yb + (<usize>ch << 2);
      v128.store(q, f32x4.div(v128.load(q), hwV));
    }
    for (; ch < c; ch++) {
      const q = yb + (<usize>ch << 2);
      store<f32>(q, load<f32>(q) / <f32>hw);
    }
  }
}

/** dy (n,c) → dx (n,hw,c) = dy / hw at every position. */
export function globalAvgPoolBackward(dy: usize, dx: usize, n: i32, hw: i32, c: i32): void {
  const hwV = f32x4.splat(<f32>hw);
  for (let b = 0; b < n; b++) {
    const dyb = dy + ((<usize>b * <usize>c) << 2);
    for (let p = 0; p < hw; p++) {
      const xr = dx + (((<usize>b * <usize>hw + <usize>p) * <usize>c) << 2);
      let ch = 0;
      for (; ch + 4 <= c; ch += 4) v128.store(xr + (<usize>ch << 2), f32x4.div(v128.load(dyb + (<usize>ch << 2)), hwV));
      for (; ch < c; ch++) store<f32>(xr + (<usize>ch << 2), load<f32>(dyb + (<usize>ch << 2)) / <f32>hw);
    }
  }
}
