// Reference max pooling over NHWC windows. Padding cells never win (TensorFlow's 'same' max pool).

import type { WindowGeometry } from '../../geometry.js';

export function maxPool2dForward(x: Float32Array, y: Float32Array, argmax: Int32Array, g: WindowGeometry): void {
  const { n, h, w, c, kh, kw, strideH, strideW, padTop, padLeft, oh, ow } = g;
  let o = 0;
  for (let b = 0; b < n; b++) {
    const xb = b * h * w * c;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = Math.max(oy * strideH - padTop, 0);
      const y1 = Math.min(oy * strideH - padTop + kh, h);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = Math.max(ox * strideW - padLeft, 0);
        const x1 = Math.min(ox * strideW - padLeft + kw, w);
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = xb + (y0 * w + x0) * c + ch;
          for (let iy = y0; iy < y1; iy++) {
            for (let ix = x0; ix < x1; ix++) {
              const i = xb + (iy * w + ix) * c + ch;
              const v = x[i];
              if (v > best) {
                best = v;
                at = i;
              }
            }
          }
          y[o] = x[at];
          argmax[o] = at;
          o++;
        }
      }
    }
  }
}

export function maxPool2dBackward(dy: Float32Array, argmax: Int32Array, dx: Float32Array, g: WindowGeometry): void {
  dx.fill(0, 0, g.n * g.h * g.w * g.c);
  const outSize = g.n * g.oh * g.ow * g.c;
  for (let i = 0; i < outSize; i++) dx[argmax[i]] += dy[i];
}

/** The window of output cell (oy, ox), clipped to the input: [y0, y1) × [x0, x1). */
function windowAt(g: WindowGeometry, oy: number, ox: number): [number, number, number, number] {
  const y0 = oy * g.strideH - g.padTop;
  const x0 = ox * g.strideW - g.padLeft;
  return [Math.max(y0, 0), Math.min(y0 + g.kh, g.h), Math.max(x0, 0), Math.min(x0 + g.kw, g.w)];
}

export function avgPool2dForward(x: Float32Array, y: Float32Array, g: WindowGeometry): void {
  const { n, h, w, c, oh, ow } = g;
  let o = 0;
  for (let b = 0; b < n; b++) {
    const xb = b * h * w * c;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const [y0, y1, x0, x1] = windowAt(g, oy, ox);
        const count = (y1 - y0) * (x1 - x0);
        for (let ch = 0; ch < c; ch++) {
          let sum = 0;
          for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) sum += x[xb + (iy * w + ix) * c + ch];
          y[o++] = sum / count;
        }
      }
    }
  }
}

export function avgPool2dBackward(dy: Float32Array, dx: Float32Array, g: WindowGeometry): void {
  const { n, h, w, c, oh, ow } = g;
  dx.fill(0, 0, n * h * w * c);
  let o = 0;
  for (let b = 0; b < n; b++) {
    const xb = b * h * w * c;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const [y0, y1, x0, x1] = windowAt(g, oy, ox);
        const count = (y1 - y0) * (x1 - x0);
        for (let ch = 0; ch < c; ch++) {
          const share = dy[o++] / count;
          for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) dx[xb + (iy * w + ix) * c + ch] += share;
        }
      }
    }
  }
}

export function globalAvgPoolForward(x: Float32Array, y: Float32Array, n: number, hw: number, c: number): void {
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      let sum = 0;
      for (let p = 0; p < hw; p++) sum += x[(b * hw + p) * c + ch];
      y[b * c + ch] = sum / hw;
    }
  }
}

export function globalAvgPoolBackward(dy: Float32Array, dx: Float32Array, n: number, hw: number, c: number): void {
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < hw; p++) {
      for (let ch = 0; ch < c; ch++) dx[(b * hw + p) * c + ch] = dy[b * c + ch] / hw;
    }
  }
}
