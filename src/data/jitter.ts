// Light augmentation for a handful of samples: each image moved by a small random shift, rotation and
// zoom about its centre, sampled bilinearly with background (0) outside. What fine-tuning on a user's
// few drawings needs so that it learns the style rather than the exact pixels. Browser-safe.

import type { Random } from '../engine/random.js';

export interface JitterOptions {
  /** Largest shift, pixels either way on each axis (default 2). */
  shift?: number;
  /** Largest rotation, degrees either way (default 10). */
  rotate?: number;
  /** Largest zoom, as a fraction: scaled by a factor in [1 − zoom, 1 + zoom] (default 0.1). */
  zoom?: number;
}

/**
 * A jittered copy of `n` images of `side`x`side` pixels (one channel, row-major, one after the other).
 * Each image draws its rotation, zoom and shift (in that order) from `rng`.
 */
export function jitter(images: Float32Array, n: number, side: number, rng: Random, o: JitterOptions = {}): Float32Array {
  const per = side * side;
  if (images.length !== n * per) throw new Error(`jitter: ${n} images of ${side}x${side} need ${n * per} values, got ${images.length}`);
  const shift = o.shift ?? 2;
  const rotate = ((o.rotate ?? 10) * Math.PI) / 180;
  const zoom = o.zoom ?? 0.1;
  const out = new Float32Array(images.length);
  const c = (side - 1) / 2;
  for (let i = 0; i < n; i++) {
    const theta = rng.uniform(-rotate, rotate);
    const z = rng.uniform(1 - zoom, 1 + zoom);
    const tx = rng.uniform(-shift, shift);
    const ty = rng.uniform(-shift, shift);
    // Output pixel p reads the source at R(−θ)·(p − c − t)/z + c: the inverse of zoom, rotate, then shift.
    const cos = Math.cos(theta) / z;
    const sin = Math.sin(theta) / z;
    const src = images.subarray(i * per, (i + 1) * per);
    const dst = out.subarray(i * per, (i + 1) * per);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const dx = x - c - tx;
        const dy = y - c - ty;
        dst[y * side + x] = bilinear(src, side, cos * dx + sin * dy + c, -sin * dx + cos * dy + c);
      }
    }
  }
  return out;
}

/** The image at (sx, sy), between pixel centres, 0 beyond the edges. */
function bilinear(src: Float32Array, side: number, sx: number, sy: number): number {
  const x0 = Math.floor(sx);
  const y0 = Math.floor(sy);
  const fx = sx - x0;
  const fy = sy - y0;
  const at = (x: number, y: number): number => (x >= 0 && y >= 0 && x < side && y < side ? src[y * side + x] : 0);
  return (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
}
