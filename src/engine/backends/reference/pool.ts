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
