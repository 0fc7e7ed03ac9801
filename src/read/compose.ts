// Numbers made of single digit images (MNIST's: 28x28, white ink on black), with the truth kept: each
// digit's label and ink box. Digits are scaled to a common height times a random factor, set on a
// wavering baseline, and spaced by random gaps, some negative (their boxes overlap, and strokes may
// touch). For measuring and testing the number reader; photo.ts turns such numbers into photos of paper.
// Browser-safe.

import { boxAtLeast, type Box, type RawImage } from '../data/preprocess.js';
import type { Random } from '../engine/index.js';

export interface ComposeOptions {
  /**
   * Height in pixels of each digit before its size jitter (default 28). Digits are scaled to a common
   * height, as one writes them, rather than to MNIST's common 20 px box (which shrinks wide digits); only
   * MNIST's flattest digits, which would come out wider than MAX_ASPECT times that height, are shrunk to
   * that width instead.
   */
  digitHeight?: number;
  /** Each digit is scaled by a factor drawn from [1 - sizeJitter, 1 + sizeJitter] (default 0.2). */
  sizeJitter?: number;
  /** Gap between neighbouring ink boxes, a share of digitHeight from [min, max] (default [-0.05, 0.5]). */
  gap?: [number, number];
  /** Each digit's centre moves up or down by up to this share of digitHeight (default 0.15). */
  baseline?: number;
  /** Blank margin around the number, a share of digitHeight (default 0.5). */
  margin?: number;
}

export interface ComposedNumber {
  /** Gray (1 channel), white ink on black, as MNIST. */
  image: RawImage;
  /** The digits, left to right, as a string. */
  text: string;
  labels: number[];
  /** Each digit's ink box (pixels above 0), left to right. */
  boxes: Box[];
  /** How many pairs of neighbouring digits touch (strokes of half strength or more within a pixel). */
  touching: number;
}

export interface DigitImage {
  /** 784 values 0..255, row-major 28x28, white ink on black. */
  pixels: ArrayLike<number>;
  label: number;
}

const MAX_ASPECT = 1.2;

interface Glyph {
  data: Float32Array;
  width: number;
  height: number;
}

/** Composes the digits into one image of a number, left to right. */
export function composeNumber(digits: DigitImage[], rng: Random, o: ComposeOptions = {}): ComposedNumber {
  if (digits.length === 0) throw new Error('composeNumber: no digits given');
  const h = o.digitHeight ?? 28;
  const jitter = o.sizeJitter ?? 0.2;
  const [gapMin, gapMax] = o.gap ?? [-0.05, 0.5];
  const wave = o.baseline ?? 0.15;
  const margin = Math.round((o.margin ?? 0.5) * h);
  const glyphs = digits.map((d, i) => {
    const g = cropGlyph(d.pixels, 28, 28);
    if (g.width === 28 && g.height === 28 && !g.data.some((v) => v > 0)) throw new Error(`composeNumber: digit ${i} is blank`);
    return scaleGlyph(g, (h / Math.max(g.height, g.width / MAX_ASPECT)) * rng.uniform(1 - jitter, 1 + jitter));
  });
  const xs: number[] = [];
  let x = margin;
  glyphs.forEach((g, i) => {
    if (i > 0) x = Math.max(margin, x + Math.round(rng.uniform(gapMin, gapMax) * h));
    xs.push(x);
    x += g.width;
  });
  const tallest = Math.max(...glyphs.map((g) => g.height));
  const line = margin + Math.ceil(wave * h) + tallest / 2;
  const ys = glyphs.map((g) => Math.round(line - g.height / 2 + rng.uniform(-wave, wave) * h));
  const width = Math.max(...glyphs.map((g, i) => xs[i] + g.width)) + margin;
  const height = Math.max(...glyphs.map((g, i) => ys[i] + g.height)) + margin;
  const data = new Uint8Array(width * height);
  glyphs.forEach((g, i) => paste(data, width, g, xs[i], ys[i]));
  const labels = digits.map((d) => d.label);
  const boxes = glyphs.map((g, i) => ({ x: xs[i], y: ys[i], width: g.width, height: g.height }));
  const touching = glyphs.slice(1).filter((g, i) => touch(glyphs[i], boxes[i], g, boxes[i + 1])).length;
  return { image: { data, width, height, channels: 1 }, text: labels.join(''), labels, boxes, touching };
}

/** Bilinear resampling by `s`, trimmed again to the pixels that hold ink (so the box stays exact). */
function scaleGlyph(g: Glyph, s: number): Glyph {
  const width = Math.max(1, Math.round(g.width * s));
  const height = Math.max(1, Math.round(g.height * s));
  const at = (x: number, y: number): number => (x < 0 || y < 0 || x >= g.width || y >= g.height ? 0 : g.data[y * g.width + x]);
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const fy = ((y + 0.5) * g.height) / height - 0.5;
    const y0 = Math.floor(fy);
    for (let x = 0; x < width; x++) {
      const fx = ((x + 0.5) * g.width) / width - 0.5;
      const x0 = Math.floor(fx);
      const tx = fx - x0;
      const ty = fy - y0;
      const top = at(x0, y0) * (1 - tx) + at(x0 + 1, y0) * tx;
      const bottom = at(x0, y0 + 1) * (1 - tx) + at(x0 + 1, y0 + 1) * tx;
      out[y * width + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return cropGlyph(Uint8Array.from(out, (v) => Math.round(v)), width, height);
}

/** The w x h glyph (whole values 0..255) cropped to its pixels above 0 (kept whole when it has none). */
function cropGlyph(px: ArrayLike<number>, w: number, h: number): Glyph {
  const b = boxAtLeast(px, w, h, 1);
  if (!b) return { data: Float32Array.from(px), width: w, height: h };
  const data = new Float32Array(b.width * b.height);
  for (let y = 0; y < b.height; y++) for (let x = 0; x < b.width; x++) data[y * b.width + x] = px[(b.y + y) * w + b.x + x];
  return { data, width: b.width, height: b.height };
}

/** Ink is combined by its maximum, as two strokes over one another on paper. */
function paste(data: Uint8Array, width: number, g: Glyph, x: number, y: number): void {
  for (let yy = 0; yy < g.height; yy++) {
    for (let xx = 0; xx < g.width; xx++) {
      const i = (y + yy) * width + x + xx;
      data[i] = Math.max(data[i], g.data[yy * g.width + xx]);
    }
  }
}

/** Whether two placed glyphs' strokes (values of 128 or more) come within one pixel of each other. */
function touch(a: Glyph, ab: Box, b: Glyph, bb: Box): boolean {
  const inkAt = (g: Glyph, gb: Box, x: number, y: number): boolean =>
    x >= gb.x && y >= gb.y && x < gb.x + g.width && y < gb.y + g.height && g.data[(y - gb.y) * g.width + x - gb.x] >= 128;
  for (let y = ab.y; y < ab.y + a.height; y++) {
    for (let x = Math.max(ab.x, bb.x - 1); x < Math.min(ab.x + a.width, bb.x + b.width + 1); x++) {
      if (!inkAt(a, ab, x, y)) continue;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) if (inkAt(b, bb, x + dx, y + dy)) return true;
    }
  }
  return false;
}
