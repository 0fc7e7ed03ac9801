// Grey-level morphology with a square window, separable and in time independent of the window's size
// (van Herk / Gil-Werman running extrema): the paper under dark ink is the image's closing (the local
// maximum, then the local minimum, over a window wider than any stroke), which removes the strokes but keeps
// gradients and shadow edges where they are. Browser-safe.

/** Local maximum (`max` true) or minimum over a (2r+1) x (2r+1) window, edges clamped. */
export function squareExtremum(src: Float32Array, width: number, height: number, r: number, max: boolean): Float32Array {
  const runner = new Runner(Math.max(width, height), r, max);
  const rows = new Float32Array(src.length);
  for (let y = 0; y < height; y++) runner.run(src, y * width, 1, width, rows);
  const out = new Float32Array(src.length);
  for (let x = 0; x < width; x++) runner.run(rows, x, width, height, out);
  return out;
}

/** Closing (dark features narrower than 2r+1 removed) or opening (light ones removed). */
export function closing(src: Float32Array, width: number, height: number, r: number): Float32Array {
  return squareExtremum(squareExtremum(src, width, height, r, true), width, height, r, false);
}

export function opening(src: Float32Array, width: number, height: number, r: number): Float32Array {
  return squareExtremum(squareExtremum(src, width, height, r, false), width, height, r, true);
}

/**
 * Running extremum over windows of 2r+1 along lines of up to `n` values, edges clamped. Van Herk /
 * Gil-Werman: the padded line is cut into blocks of 2r+1 with a prefix and a suffix extremum in each,
 * and any window spans at most two blocks, so each output takes one comparison whatever r is.
 */
class Runner {
  private readonly padded: Float32Array;
  private readonly prefix: Float32Array;
  private readonly suffix: Float32Array;

  constructor(n: number, private readonly r: number, private readonly max: boolean) {
    this.padded = new Float32Array(n + 2 * r);
    this.prefix = new Float32Array(n + 2 * r);
    this.suffix = new Float32Array(n + 2 * r);
  }

  /** out[start + i*stride] = extremum of src over the window around start + i*stride, for i < n. */
  run(src: Float32Array, start: number, stride: number, n: number, out: Float32Array): void {
    const { r, max, padded: p, prefix: g, suffix: h } = this;
    const k = 2 * r + 1;
    const m = n + 2 * r;
    for (let i = 0; i < m; i++) p[i] = src[start + Math.max(0, Math.min(n - 1, i - r)) * stride];
    for (let i = 0; i < m; i++) g[i] = i % k === 0 ? p[i] : max ? (p[i] > g[i - 1] ? p[i] : g[i - 1]) : p[i] < g[i - 1] ? p[i] : g[i - 1];
    for (let i = m - 1; i >= 0; i--) {
      h[i] = i % k === k - 1 || i === m - 1 ? p[i] : max ? (p[i] > h[i + 1] ? p[i] : h[i + 1]) : p[i] < h[i + 1] ? p[i] : h[i + 1];
    }
    for (let i = 0; i < n; i++) {
      const a = h[i];
      const b = g[i + k - 1];
      out[start + i * stride] = max ? (a > b ? a : b) : a < b ? a : b;
    }
  }
}

/** Naive twin of the running extremum, the definition the fast one is tested against. */
export function squareExtremumNaive(src: Float32Array, width: number, height: number, r: number, max: boolean): Float32Array {
  const out = new Float32Array(src.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let e = max ? -Infinity : Infinity;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const v = src[Math.max(0, Math.min(height - 1, y + dy)) * width + Math.max(0, Math.min(width - 1, x + dx))];
          e = max ? Math.max(e, v) : Math.min(e, v);
        }
      }
      out[y * width + x] = e;
    }
  }
  return out;
}

/** Mean over a (2r+1) x (2r+1) window (edges clamped), by running sums along rows, then columns. */
export function boxBlur(src: Float32Array, width: number, height: number, r: number): Float32Array {
  const mid = new Float32Array(src.length);
  for (let y = 0; y < height; y++) runningMean(src, y * width, 1, width, r, mid);
  const out = new Float32Array(src.length);
  for (let x = 0; x < width; x++) runningMean(mid, x, width, height, r, out);
  return out;
}

function runningMean(src: Float32Array, start: number, stride: number, n: number, r: number, out: Float32Array): void {
  const at = (i: number): number => src[start + Math.max(0, Math.min(n - 1, i)) * stride];
  let s = 0;
  for (let i = -r; i <= r; i++) s += at(i);
  for (let i = 0; i < n; i++) {
    out[start + i * stride] = s / (2 * r + 1);
    s += at(i + r + 1) - at(i - r);
  }
}

export interface Plane {
  data: Float32Array;
  width: number;
  height: number;
}

/** The image shrunk by a whole factor, each block to its mean (partial blocks at the edges included). */
export function shrinkMean(src: Float32Array, width: number, height: number, f: number): Plane {
  return shrink(src, width, height, f, (sum, _e, n) => sum / n, true);
}

/** The image shrunk by a whole factor, each block to its largest (`max`) or smallest value. */
export function shrinkExtremum(src: Float32Array, width: number, height: number, f: number, max: boolean): Plane {
  return shrink(src, width, height, f, (_s, e) => e, max);
}

function shrink(src: Float32Array, width: number, height: number, f: number, pick: (sum: number, extremum: number, n: number) => number, max: boolean): Plane {
  if (f === 1) return { data: src, width, height };
  const w = Math.ceil(width / f);
  const h = Math.ceil(height / f);
  const data = new Float32Array(w * h);
  for (let by = 0; by < h; by++) {
    for (let bx = 0; bx < w; bx++) {
      let sum = 0;
      let e = max ? -Infinity : Infinity;
      let n = 0;
      for (let y = by * f; y < Math.min(height, (by + 1) * f); y++) {
        for (let x = bx * f; x < Math.min(width, (bx + 1) * f); x++) {
          const v = src[y * width + x];
          sum += v;
          e = max ? (v > e ? v : e) : v < e ? v : e;
          n++;
        }
      }
      data[by * w + bx] = pick(sum, e, n);
    }
  }
  return { data, width: w, height: h };
}

/** A shrunk image (block size f) back to width x height, interpolating bilinearly between block centres. */
export function enlarge(small: Float32Array, sw: number, sh: number, f: number, width: number, height: number): Float32Array {
  if (f === 1) return small;
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const fy = Math.max(0, Math.min(sh - 1, (y + 0.5) / f - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(sh - 1, y0 + 1);
    const ty = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.max(0, Math.min(sw - 1, (x + 0.5) / f - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(sw - 1, x0 + 1);
      const tx = fx - x0;
      const top = small[y0 * sw + x0] * (1 - tx) + small[y0 * sw + x1] * tx;
      const bottom = small[y1 * sw + x0] * (1 - tx) + small[y1 * sw + x1] * tx;
      out[y * width + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}
