// The definition of augmentation, in plain TypeScript: what native/augment.cc computes fast, and what the
// browser and the tests run. Each image draws, from its own generator seeded by deriveSeed(batchSeed, i):
// rotation θ, zoom factors zx and zy, shear φ and shift tx, ty (in that order, uniform within ±strength),
// then, when elastic is on, two fields of h·w uniform values in [−1, 1] (x first, then y, row-major),
// which a Gaussian of σ smooths (separable, radius ⌈3σ⌉, zero beyond the edges, as the usual implementations
// of Simard et al. 2003 do) and α scales.
//
// Output pixel p (pixel centres at integer coordinates, c the image centre) reads the source at
//   s = M⁻¹ (p + d(p) − c − t) + c,   M = R(θ) · Shear(φ) · diag(zx, zy),
// d the elastic displacement at p, t the shift, sampled bilinearly with zero (background) outside the image.
// So the affine part moves the digit about its centre, and the elastic part wobbles its strokes. Browser-safe.

import { deriveSeed, Random } from '../../engine/random.js';
import type { AugmentSpec } from './spec.js';

/** The inverse affine map of one image: s = [a b; c d]·(p − c − t) + c. */
export interface ImageTransform {
  a: number;
  b: number;
  c: number;
  d: number;
  tx: number;
  ty: number;
}

/** Draws one image's affine parameters (six uniform values, always drawn so the stream layout never changes). */
export function drawTransform(rng: Random, s: AugmentSpec): ImageTransform {
  const rad = Math.PI / 180;
  const theta = rng.uniform(-s.rotate, s.rotate) * rad;
  const zx = rng.uniform(1 - s.zoom, 1 + s.zoom);
  const zy = rng.uniform(1 - s.zoom, 1 + s.zoom);
  const phi = rng.uniform(-s.shear, s.shear) * rad;
  const tx = rng.uniform(-s.shift, s.shift);
  const ty = rng.uniform(-s.shift, s.shift);
  // M = R·Sh·Z = [[cos, −sin], [sin, cos]] · [[1, tan φ], [0, 1]] · diag(zx, zy).
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const k = Math.tan(phi);
  const m00 = cos * zx;
  const m01 = (cos * k - sin) * zy;
  const m10 = sin * zx;
  const m11 = (sin * k + cos) * zy;
  const det = m00 * m11 - m01 * m10;
  return { a: m11 / det, b: -m01 / det, c: -m10 / det, d: m00 / det, tx, ty };
}

/** The normalized Gaussian taps for σ, radius ⌈3σ⌉. */
export function gaussianTaps(sigma: number): Float64Array {
  const r = Math.ceil(3 * sigma);
  const taps = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let j = -r; j <= r; j++) sum += taps[j + r] = Math.exp(-(j * j) / (2 * sigma * sigma));
  for (let j = 0; j < taps.length; j++) taps[j] /= sum;
  return taps;
}

/** One field: h·w uniform values in [−1, 1], smoothed by the taps (rows, then columns, zero beyond the edges), times α. */
export function elasticField(rng: Random, h: number, w: number, taps: Float64Array, alpha: number, out: Float64Array): Float64Array {
  const r = (taps.length - 1) / 2;
  const noise = new Float64Array(h * w);
  for (let i = 0; i < noise.length; i++) noise[i] = rng.uniform(-1, 1);
  const rows = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let j = Math.max(-r, -x); j <= Math.min(r, w - 1 - x); j++) acc += taps[j + r] * noise[y * w + x + j];
      rows[y * w + x] = acc;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let j = Math.max(-r, -y); j <= Math.min(r, h - 1 - y); j++) acc += taps[j + r] * rows[(y + j) * w + x];
      out[y * w + x] = alpha * acc;
    }
  }
  return out;
}

/** Bilinear sample of img (h, w) at (sx, sy), zero outside. */
export function bilinear(img: Float32Array, h: number, w: number, sx: number, sy: number): number {
  const x0 = Math.floor(sx);
  const y0 = Math.floor(sy);
  const fx = sx - x0;
  const fy = sy - y0;
  const at = (x: number, y: number): number => (x >= 0 && x < w && y >= 0 && y < h ? img[y * w + x] : 0);
  const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
  const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
  return top * (1 - fy) + bottom * fy;
}

/** Augments one image (h, w, one channel) with its own generator. */
export function augmentImage(src: Float32Array, dst: Float32Array, h: number, w: number, s: AugmentSpec, rng: Random, taps: Float64Array | null): void {
  const t = drawTransform(rng, s);
  let dx: Float64Array | null = null;
  let dy: Float64Array | null = null;
  if (s.elastic > 0 && taps) {
    dx = elasticField(rng, h, w, taps, s.elastic, new Float64Array(h * w));
    dy = elasticField(rng, h, w, taps, s.elastic, new Float64Array(h * w));
  }
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const u = x - cx - t.tx + (dx ? dx[i] : 0);
      const v = y - cy - t.ty + (dy ? dy[i] : 0);
      dst[i] = bilinear(src, h, w, t.a * u + t.b * v + cx, t.c * u + t.d * v + cy);
    }
  }
}

/** Augments n images (h, w, 1) of src into dst; image i draws from Random(deriveSeed(seed, i)). */
export function augmentBatchReference(src: Float32Array, dst: Float32Array, n: number, h: number, w: number, s: AugmentSpec, seed: number): void {
  const per = h * w;
  if (src.length < n * per || dst.length < n * per) throw new Error(`augment: ${n} images of ${h}x${w} need ${n * per} values, got src ${src.length}, dst ${dst.length}`);
  const taps = s.elastic > 0 ? gaussianTaps(s.sigma) : null;
  for (let i = 0; i < n; i++) {
    augmentImage(src.subarray(i * per, (i + 1) * per), dst.subarray(i * per, (i + 1) * per), h, w, s, new Random(deriveSeed(seed, i)), taps);
  }
}
