// "Foreign" digits: MNIST test digits written and scanned differently, for measuring how well a model does on
// digits that are not MNIST's. Each digit is enlarged 2 times (bilinear), its strokes thickened or thinned
// (a grey-level dilation or erosion with a disc), slanted (a shear about its centre), printed as dark ink on
// light paper with a little noise, and then brought back through the same preprocessing as a user's image
// (preprocess.ts's toMnist: inverted, cropped to the ink, scaled to 20 px, centred by mass). Seeded, so the
// set is the same everywhere. Browser-safe.

import { Random } from '../engine/random.js';
import type { ImageSet } from './idx.js';
import { toMnist } from './preprocess.js';

/** A way of writing: stroke change (disc radius in enlarged pixels, + thicker, − thinner) and slant (degrees). */
export interface Style {
  name: string;
  stroke: number;
  slant: number;
}

/** The styles each digit is rendered in: the plain rendering first (the control), then the changes. */
export const FOREIGN_STYLES: Style[] = [
  { name: 'plain', stroke: 0, slant: 0 },
  { name: 'thick', stroke: 2, slant: 0 },
  { name: 'thin', stroke: -1, slant: 0 },
  { name: 'slant-right', stroke: 0, slant: 22 },
  { name: 'slant-left', stroke: 0, slant: -22 },
  { name: 'thick-slant', stroke: 2, slant: 18 },
  { name: 'thin-slant', stroke: -1, slant: -18 },
];

const SCALE = 2;
/** The enlarged canvas: the digit's 28x28 frame at 2x, with room for slant and thick strokes. */
const CANVAS = 28 * SCALE + 16;

/** Bilinear enlargement of a 28x28 digit (0..255) into the middle of the canvas (0..1 ink). */
function enlarge(src: Uint8Array): Float32Array {
  const out = new Float32Array(CANVAS * CANVAS);
  const off = (CANVAS - 28 * SCALE) / 2;
  for (let y = 0; y < 28 * SCALE; y++) {
    for (let x = 0; x < 28 * SCALE; x++) {
      const sx = (x + 0.5) / SCALE - 0.5;
      const sy = (y + 0.5) / SCALE - 0.5;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const at = (i: number, j: number): number => (i >= 0 && i < 28 && j >= 0 && j < 28 ? src[j * 28 + i] / 255 : 0);
      out[(y + off) * CANVAS + x + off] = (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
    }
  }
  return out;
}

/** Grey-level dilation (r > 0: max over a disc of radius r) or erosion (r < 0: min), separable in neither: a disc. */
function morph(img: Float32Array, r: number): Float32Array {
  if (r === 0) return img;
  const R = Math.abs(r);
  const offsets: [number, number][] = [];
  for (let dy = -R; dy <= R; dy++) for (let dx = -R; dx <= R; dx++) if (dx * dx + dy * dy <= R * R) offsets.push([dx, dy]);
  const out = new Float32Array(img.length);
  for (let y = 0; y < CANVAS; y++) {
    for (let x = 0; x < CANVAS; x++) {
      let v = r > 0 ? 0 : 1;
      for (const [dx, dy] of offsets) {
        const xx = x + dx;
        const yy = y + dy;
        const p = xx >= 0 && xx < CANVAS && yy >= 0 && yy < CANVAS ? img[yy * CANVAS + xx] : 0;
        v = r > 0 ? Math.max(v, p) : Math.min(v, p);
      }
      out[y * CANVAS + x] = v;
    }
  }
  return out;
}

/** Shear about the centre: ink at (x, y) moves to x + tan(slant)·(centre − y), so a positive slant leans the top right. */
function slant(img: Float32Array, degrees: number): Float32Array {
  if (degrees === 0) return img;
  const k = Math.tan((degrees * Math.PI) / 180);
  const c = (CANVAS - 1) / 2;
  const out = new Float32Array(img.length);
  for (let y = 0; y < CANVAS; y++) {
    const sx0 = k * (c - y);
    for (let x = 0; x < CANVAS; x++) {
      const sx = x - sx0;
      const x0 = Math.floor(sx);
      const f = sx - x0;
      const a = x0 >= 0 && x0 < CANVAS ? img[y * CANVAS + x0] : 0;
      const b = x0 + 1 >= 0 && x0 + 1 < CANVAS ? img[y * CANVAS + x0 + 1] : 0;
      out[y * CANVAS + x] = a * (1 - f) + b * f;
    }
  }
  return out;
}

/** Dark ink on light paper, as a scan: paper ~235, ink ~30, with a little noise (grey bytes). */
function print(ink: Float32Array, rng: Random): Uint8Array {
  const out = new Uint8Array(ink.length);
  for (let i = 0; i < ink.length; i++) {
    const v = 235 - Math.min(1, ink[i]) * 205 + (rng.next() - 0.5) * 16;
    out[i] = Math.max(0, Math.min(255, Math.round(v)));
  }
  return out;
}

/** One digit in one style, as a user's photo of it would reach the model: 28x28 bytes. */
export function renderForeign(digit: Uint8Array, style: Style, rng: Random): Uint8Array {
  const paper = print(slant(morph(enlarge(digit), style.stroke), style.slant), rng);
  const m = toMnist({ data: paper, width: CANVAS, height: CANVAS, channels: 1 });
  return Uint8Array.from(m.pixels, (v) => Math.round(v * 255));
}

/**
 * The foreign set: the first `count` test digits in every style (style-major: all digits plain, then all
 * thick, ...). `styles` says which rows hold which style.
 */
export function foreignDigits(test: ImageSet, o: { count?: number; seed?: number } = {}): ImageSet & { styles: string[] } {
  const count = Math.min(o.count ?? 1000, test.count);
  const rng = new Random(o.seed ?? 2003);
  const n = count * FOREIGN_STYLES.length;
  const images = new Uint8Array(n * 784);
  const labels = new Uint8Array(n);
  const styles: string[] = [];
  FOREIGN_STYLES.forEach((style, s) => {
    for (let i = 0; i < count; i++) {
      const row = s * count + i;
      images.set(renderForeign(test.images.subarray(i * 784, (i + 1) * 784), style, rng), row * 784);
      labels[row] = test.labels[i];
      styles.push(style.name);
    }
  });
  return { images, labels, count: n, height: 28, width: 28, styles };
}
