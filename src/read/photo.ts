// A composed number (compose.ts) as a phone would photograph it written on paper: dark ink (black, blue or
// pencil grey, not quite opaque) on off-white paper with a fibre texture, lit unevenly (a brightness
// gradient across the sheet, often a soft-edged shadow across it), slightly out of focus, with sensor
// noise. JPEG compression is the caller's last step (data/images.ts encodes). The truth (digits and
// boxes) moves with the number. For measuring and testing the reader; browser-safe.

import type { Box, RawImage } from '../data/preprocess.js';
import type { Random } from '../engine/index.js';
import type { ComposedNumber } from './compose.js';

export interface Photo {
  /** RGB, 3 channels. */
  image: RawImage;
  text: string;
  labels: number[];
  /** Each digit's ink box in the photo. */
  boxes: Box[];
}

const INKS: [number, number, number][] = [[22, 22, 28], [28, 38, 112], [72, 72, 78]];

/** Photographs the number (white-on-black ink, as composeNumber makes it) on a sheet of paper. */
export function photograph(n: ComposedNumber, rng: Random): Photo {
  const h = n.image.height;
  const [left, top, right, bottom] = [0, 0, 0, 0].map(() => Math.round(rng.uniform(0.2, 1.2) * h));
  const width = n.image.width + left + right;
  const height = n.image.height + top + bottom;
  const alpha = inkAlpha(n.image, width, height, left, top, rng.uniform(0.75, 1));
  const light = lighting(width, height, rng);
  const paper = paperTone(rng);
  const texture = paperTexture(width, height, rng);
  const ink = INKS[rng.int(INKS.length)];
  const channels = [0, 1, 2].map((c) => {
    const out = new Float32Array(width * height);
    for (let i = 0; i < out.length; i++) out[i] = ((paper[c] + texture[i]) * (1 - alpha[i]) + ink[c] * alpha[i]) * light[i];
    return gaussianBlur(out, width, height, rng.uniform(0.5, 1.6));
  });
  const noise = rng.uniform(2, 5);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) data[i * 3 + c] = Math.max(0, Math.min(255, Math.round(channels[c][i] + noise * rng.normal())));
  }
  const boxes = n.boxes.map((b) => ({ ...b, x: b.x + left, y: b.y + top }));
  return { image: { data, width, height, channels: 3 }, text: n.text, labels: n.labels, boxes };
}

/** The number's ink as opacity (0..density) on the larger sheet. */
function inkAlpha(img: RawImage, width: number, height: number, left: number, top: number, density: number): Float32Array {
  const a = new Float32Array(width * height);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) a[(y + top) * width + x + left] = (img.data[y * img.width + x] / 255) * density;
  }
  return a;
}

/** Off-white, slightly warm or cool. */
function paperTone(rng: Random): [number, number, number] {
  const base = rng.uniform(195, 240);
  return [base + rng.uniform(0, 10), base + rng.uniform(-3, 5), base - rng.uniform(0, 18)];
}

/** Fibre texture: value noise at three scales, a few grey levels each. */
function paperTexture(width: number, height: number, rng: Random): Float32Array {
  const out = new Float32Array(width * height);
  for (const [cell, amp] of [[24, 5], [6, 4], [2, 3]]) {
    const n = valueNoise(width, height, cell, rng);
    for (let i = 0; i < out.length; i++) out[i] += amp * n[i];
  }
  return out;
}

/**
 * Brightness factor per pixel: an overall exposure, a linear gradient in a random direction, and with
 * probability 0.6 a shadow: a half-plane darkened by 25-50% whose edge is blurred over 2-12% of the
 * sheet's diagonal.
 */
function lighting(width: number, height: number, rng: Random): Float32Array {
  const exposure = rng.uniform(0.8, 1.05);
  const angle = rng.uniform(0, 2 * Math.PI);
  const slope = rng.uniform(0.1, 0.4);
  const diag = Math.hypot(width, height);
  const shadow = rng.next() < 0.6
    ? { angle: rng.uniform(0, 2 * Math.PI), offset: rng.uniform(-0.3, 0.3) * diag, depth: rng.uniform(0.25, 0.5), soft: rng.uniform(0.02, 0.12) * diag }
    : null;
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = x - width / 2;
      const dy = y - height / 2;
      let f = exposure * (1 + (slope * (dx * Math.cos(angle) + dy * Math.sin(angle))) / diag);
      if (shadow) {
        const d = dx * Math.cos(shadow.angle) + dy * Math.sin(shadow.angle) - shadow.offset;
        f *= 1 - shadow.depth / (1 + Math.exp(-d / (shadow.soft / 4)));
      }
      out[y * width + x] = f;
    }
  }
  return out;
}

/** Smooth noise in -1..1: random values on a grid of `cell` pixels, interpolated bilinearly. */
function valueNoise(width: number, height: number, cell: number, rng: Random): Float32Array {
  const gx = Math.ceil(width / cell) + 2;
  const gy = Math.ceil(height / cell) + 2;
  const grid = Float32Array.from({ length: gx * gy }, () => rng.uniform(-1, 1));
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const fy = y / cell;
    const y0 = Math.floor(fy);
    const ty = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = x / cell;
      const x0 = Math.floor(fx);
      const tx = fx - x0;
      const top = grid[y0 * gx + x0] * (1 - tx) + grid[y0 * gx + x0 + 1] * tx;
      const bottom = grid[(y0 + 1) * gx + x0] * (1 - tx) + grid[(y0 + 1) * gx + x0 + 1] * tx;
      out[y * width + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}

/** Separable Gaussian blur (edges clamped). */
export function gaussianBlur(src: Float32Array, width: number, height: number, sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const sum = k.reduce((a, b) => a + b, 0);
  const kernel = k.map((v) => v / sum);
  const mid = new Float32Array(src.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += kernel[i + r] * src[y * width + Math.max(0, Math.min(width - 1, x + i))];
      mid[y * width + x] = s;
    }
  }
  const out = new Float32Array(src.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += kernel[i + r] * mid[Math.max(0, Math.min(height - 1, y + i)) * width + x];
      out[y * width + x] = s;
    }
  }
  return out;
}
