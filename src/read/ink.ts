// Ink from a gray image of writing: which way the ink goes (darker or lighter than its paper: detected,
// never assumed), how bright the paper is at each point (estimated locally, so shadows and uneven lighting
// do not read as ink), how strongly each pixel stands out from its own paper, and which pixels are ink:
// an adaptive threshold, relative to the local paper rather than to one global level. Browser-safe.

import { boxBlur, closing, enlarge, opening, shrinkExtremum, shrinkMean } from './morphology.js';

export type Polarity = 'dark' | 'light';

export interface InkMap {
  width: number;
  height: number;
  /** Per pixel, 0 (paper) to 1 (the strongest ink): how far it stands out from its local paper. */
  ink: Float32Array;
  /** 1 where the pixel is ink, 0 elsewhere. */
  mask: Uint8Array;
  /** 'dark': dark ink on light paper (a page, a photo); 'light': light on dark (MNIST, a board). */
  polarity: Polarity;
  /** Ink below this level is paper texture and sensor or JPEG noise. */
  noise: number;
  /** Ink at or above this level is in the mask. */
  threshold: number;
  /** True when nothing stands out from the paper: no digit (the polarity then means nothing). */
  empty: boolean;
}

/** Ink weaker than this (a fraction of the paper's range) never counts: the image holds no writing. */
export const MIN_CONTRAST = 0.12;
/**
 * Hysteresis: pixels at least EDGE_SHARE of the image's strong ink are surely ink (the middle of an
 * anti-aliased edge); fainter ones down to FAINT_SHARE are ink when they connect to sure ink, so that a
 * faint stretch of a stroke does not break a digit in two while faint smudges stay out.
 */
const EDGE_SHARE = 0.35;
const FAINT_SHARE = 0.15;
/** Noise floor: this many robust standard deviations of the paper's own variation. */
const NOISE_SIGMAS = 4;
/** The strong ink must rise this many of them above the paper, or the image holds no writing. */
const INK_SIGMAS = 8;

/** Finds the ink in a gray image (0..255, row-major). */
export function findInk(gray: Float32Array, width: number, height: number): InkMap {
  const polarity = detectPolarity(gray, width, height);
  if (polarity === null) return noInk(width, height);
  return threshold(relativeInk(gray, paperUnder(gray, width, height, polarity), polarity), width, height, polarity);
}

function noInk(width: number, height: number): InkMap {
  const n = width * height;
  return { width, height, ink: new Float32Array(n), mask: new Uint8Array(n), polarity: 'dark', noise: 0, threshold: 0, empty: true };
}

/**
 * The paper under dark ink is the image's closing (under light ink, its opening) over a window wider than
 * any stroke: strokes vanish from it, while shading and shadow edges, monotone across the window, stay
 * where they are. It is computed on the image shrunk so that the window is about 9 pixels wide (each block
 * shrunk to its paper-most value, itself a first step of the closing), brought back to full size
 * bilinearly, and lightly blurred to take the window's blockiness out.
 */
function paperUnder(gray: Float32Array, width: number, height: number, polarity: Polarity): Float32Array {
  const r = paperRadius(width, height);
  const f = Math.max(1, Math.floor(r / 4));
  const small = shrinkExtremum(gray, width, height, f, polarity === 'dark');
  const sr = Math.max(1, Math.round(r / f));
  const envelope = polarity === 'dark' ? closing(small.data, small.width, small.height, sr) : opening(small.data, small.width, small.height, sr);
  return boxBlur(enlarge(envelope, small.width, small.height, f, width, height), width, height, Math.max(1, Math.round(r / 4)));
}

/** The paper window's radius: a twentieth of the longer side (a stroke is rarely a tenth of it). */
function paperRadius(width: number, height: number): number {
  return Math.max(3, Math.round(Math.max(width, height) / 20));
}

/**
 * Ink is thin: at the scale of a stroke, what the closing removes (thin dark features) outweighs what the
 * opening removes (thin light ones) for dark ink, and the other way round for light ink. At larger scales
 * the gaps between strokes and the holes of 0s, 6s and 8s join in and can tip the balance, so the scales
 * are tried from the finest up and the first that leans clearly one way, with enough mass, decides.
 * Shading and shadow edges are removed by neither, and paper texture feeds both alike; a lit or shaded
 * corner of blank paper is removed only at large scales, where more mass is asked for. Null when no scale
 * decides: nothing is written.
 */
export function detectPolarity(full: Float32Array, fullWidth: number, fullHeight: number): Polarity | null {
  // Decided on the image shrunk (by block means) to at most POLARITY_SIDE: strokes stay a few pixels wide.
  const f = Math.max(1, Math.ceil(Math.max(fullWidth, fullHeight) / POLARITY_SIDE));
  const { data: gray, width, height } = shrinkMean(full, fullWidth, fullHeight, f);
  for (let r = 1; r <= paperRadius(width, height) && 2 * r + 1 <= Math.min(width, height); r *= 2) {
    const closed = closing(gray, width, height, r);
    const opened = opening(gray, width, height, r);
    const dark = new Float32Array(gray.length);
    const light = new Float32Array(gray.length);
    for (let i = 0; i < gray.length; i++) {
      dark[i] = closed[i] - gray[i];
      light[i] = gray[i] - opened[i];
    }
    const d = beyondTexture(dark);
    const l = beyondTexture(light);
    const lean = (d - l) / Math.max(1, d + l);
    const mass = (d + l) / gray.length;
    if (Math.abs(lean) >= CLEAR_LEAN && mass >= (r <= STROKE_SCALE ? STROKE_MASS : WIDE_MASS)) return lean > 0 ? 'dark' : 'light';
  }
  return null;
}

/** How clearly one side must outweigh the other, (d - l) / (d + l), for a scale to decide the polarity... */
const CLEAR_LEAN = 0.3;
/**
 * ...and with how much mass (grey levels beyond the texture, per pixel of the shrunk image): a little at
 * the scales of ordinary strokes (radius up to STROKE_SCALE), much more at larger ones, where only thick
 * strokes filling the image, or the shaded corners of blank paper, are removed.
 */
const STROKE_SCALE = 4;
const STROKE_MASS = 0.1;
const WIDE_MASS = 1;

/** The least range of grey levels that ink is measured against. */
const RANGE_FLOOR = 64;

/** Polarity is decided on the image shrunk to at most this many pixels on its longer side. */
const POLARITY_SIDE = 400;


/** The sum of the values that stand out from the bulk (its median plus 3 robust standard deviations). */
function beyondTexture(v: Float32Array): number {
  const { median, sigma } = bulk(v);
  const cut = median + Math.max(4, 3 * sigma);
  let s = 0;
  for (const x of v) if (x > cut) s += x - cut;
  return s;
}

/**
 * How far each pixel stands out from the paper under it, as a fraction of the paper's range on the ink's
 * side: dark ink as the share of the paper's brightness it removes (so the same pen reads the same in
 * shadow and in light), light ink as the share of the headroom above the ground it fills; the range is
 * never taken below RANGE_FLOOR grey levels, so that texture on bright paper or in deep shadow is not
 * blown up into ink. Signed: paper
 * noise goes both ways, which is what the noise estimate needs.
 */
function relativeInk(gray: Float32Array, background: Float32Array, polarity: Polarity): Float32Array {
  const out = new Float32Array(gray.length);
  for (let i = 0; i < gray.length; i++) {
    const b = background[i];
    out[i] = polarity === 'dark' ? (b - gray[i]) / Math.max(b, RANGE_FLOOR) : (gray[i] - b) / Math.max(255 - b, RANGE_FLOOR);
  }
  return out;
}

/** Noise floor, ink strength and the adaptive threshold between them; the signed map is clipped to 0..1. */
function threshold(signed: Float32Array, width: number, height: number, polarity: Polarity): InkMap {
  // The paper's own level plus its spread; the strong ink is the 95th percentile of what rises above it.
  const paper = bulk(signed);
  const noise = paper.median + Math.max(0.03, NOISE_SIGMAS * paper.sigma);
  const above = strided(signed.filter((v) => v > noise), SAMPLE).sort();
  const strong = above.length === 0 ? 0 : above[Math.floor(0.95 * (above.length - 1))];
  // Writing stands far out of the paper's spread; the strongest texture and noise do not.
  const empty = strong - paper.median < Math.max(MIN_CONTRAST, INK_SIGMAS * paper.wide);
  const sure = Math.max(noise, EDGE_SHARE * strong);
  const faint = Math.max(noise, FAINT_SHARE * strong);
  const ink = new Float32Array(signed.length);
  const scale = strong > 0 ? 1 / strong : 0;
  for (let i = 0; i < signed.length; i++) ink[i] = signed[i] <= noise ? 0 : Math.min(1, signed[i] * scale);
  const mask = empty ? new Uint8Array(signed.length) : hysteresis(signed, width, height, faint, sure);
  return { width, height, ink, mask, polarity, noise: noise * scale, threshold: sure * scale, empty };
}

/** Pixels at or above `low` that are 8-connected to a pixel at or above `high`. */
function hysteresis(v: Float32Array, width: number, height: number, low: number, high: number): Uint8Array {
  const mask = new Uint8Array(v.length);
  const stack = new Int32Array(v.length);
  for (let start = 0; start < v.length; start++) {
    if (v[start] < high || mask[start]) continue;
    let top = 0;
    stack[top++] = start;
    mask[start] = 1;
    while (top > 0) {
      const i = stack[--top];
      const x = i % width;
      const y = (i - x) / width;
      for (let yy = Math.max(0, y - 1); yy <= Math.min(height - 1, y + 1); yy++) {
        for (let xx = Math.max(0, x - 1); xx <= Math.min(width - 1, x + 1); xx++) {
          const j = yy * width + xx;
          if (!mask[j] && v[j] >= low) {
            mask[j] = 1;
            stack[top++] = j;
          }
        }
      }
    }
  }
  return mask;
}

/** Marks every pixel within `r` (a square) of a marked one. Separable: a row pass, then a column pass. */
export function dilate(mask: Uint8Array, width: number, height: number, r: number): Uint8Array {
  const rows = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    let last = -Infinity;
    for (let x = 0; x < width; x++) {
      if (mask[y * width + x]) last = x;
      if (x - last <= r) rows[y * width + x] = 1;
    }
    last = Infinity;
    for (let x = width - 1; x >= 0; x--) {
      if (mask[y * width + x]) last = x;
      if (last - x <= r) rows[y * width + x] = 1;
    }
  }
  const out = new Uint8Array(mask.length);
  for (let x = 0; x < width; x++) {
    let last = -Infinity;
    for (let y = 0; y < height; y++) {
      if (rows[y * width + x]) last = y;
      if (y - last <= r) out[y * width + x] = 1;
    }
    last = Infinity;
    for (let y = height - 1; y >= 0; y--) {
      if (rows[y * width + x]) last = y;
      if (last - y <= r) out[y * width + x] = 1;
    }
  }
  return out;
}

/**
 * The bulk of the values (most of an image is paper): their median, and 1.4826 x their median absolute
 * deviation, which is the standard deviation for normal noise and ignores the ink. From an evenly spread
 * sample, at a fixed cost.
 */
function bulk(v: Float32Array): { median: number; sigma: number; wide: number } {
  const s = strided(v, SAMPLE).sort();
  const median = s[s.length >> 1];
  const dev = s.map((x) => Math.abs(x - median)).sort();
  // `wide` reads the spread from the 80th percentile of the deviations instead: the same for even noise,
  // larger where part of the image is much noisier than the rest (rough paper in light, smooth in shade).
  return { median, sigma: 1.4826 * dev[dev.length >> 1], wide: Math.max(1.4826 * dev[dev.length >> 1], dev[Math.floor(0.8 * (dev.length - 1))] / 1.2816) };
}

const SAMPLE = 8192;

/** At most about `n` values spread evenly over the array. */
function strided(v: Float32Array, n: number): Float32Array {
  const step = Math.max(1, Math.floor(v.length / n));
  const out = new Float32Array(Math.ceil(v.length / step));
  for (let i = 0, j = 0; i < v.length; i += step, j++) out[j] = v[i];
  return out;
}
