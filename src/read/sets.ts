// The reader's measuring sets, the same for the bench and the tests: numbers of 2 to 8 digits drawn at
// random (with a seed) from a set of single digits such as MNIST's test set, composed with random sizes,
// gaps, overlaps and baselines, and optionally photographed on paper. Browser-safe.

import type { ImageSet } from '../data/idx.js';
import { Random } from '../engine/index.js';
import { composeNumber, type ComposedNumber, type ComposeOptions } from './compose.js';
import { photograph, type Photo } from './photo.js';

export interface NumberSetOptions {
  count: number;
  seed?: number;
  /** Digits per number, drawn uniformly from [min, max] (default [2, 8]). */
  digits?: [number, number];
  /** Composition settings (defaults: composeNumber's); photos draw their own digit height. */
  compose?: ComposeOptions;
}

export interface SetItem extends ComposedNumber {
  /** Indices of the digits in the source set, left to right. */
  sources: number[];
}

export interface PhotoItem extends Photo {
  sources: number[];
  /** How many pairs of neighbouring digits touch. */
  touching: number;
  /** The JPEG quality to save it at (35..85): a phone's compression, applied by the caller. */
  jpegQuality: number;
}

/** `count` composed numbers, white ink on black as MNIST. */
export function composedSet(digits: ImageSet, o: NumberSetOptions): SetItem[] {
  const rng = new Random(o.seed ?? 1);
  return Array.from({ length: o.count }, () => composedItem(digits, rng, o, o.compose ?? {}));
}

/** `count` photos of composed numbers: dark ink on unevenly lit paper, digits 36 to 80 px tall. */
export function photoSet(digits: ImageSet, o: NumberSetOptions): PhotoItem[] {
  const rng = new Random(o.seed ?? 1);
  return Array.from({ length: o.count }, () => {
    const item = composedItem(digits, rng, o, { ...o.compose, digitHeight: Math.round(rng.uniform(36, 80)) });
    return { ...photograph(item, rng), sources: item.sources, touching: item.touching, jpegQuality: Math.round(rng.uniform(35, 85)) };
  });
}

function composedItem(digits: ImageSet, rng: Random, o: NumberSetOptions, compose: ComposeOptions): SetItem {
  const [lo, hi] = o.digits ?? [2, 8];
  const n = lo + rng.int(hi - lo + 1);
  const sources = Array.from({ length: n }, () => rng.int(digits.count));
  const size = digits.width * digits.height;
  const picked = sources.map((s) => ({ pixels: digits.images.subarray(s * size, (s + 1) * size), label: digits.labels[s] }));
  return { ...composeNumber(picked, rng, compose), sources };
}

export interface ReadScores {
  /** Share of numbers in which the right number of digits was found. */
  countRight: number;
  /** Share of numbers read exactly. */
  sequenceAccuracy: number;
  /** Digits read right, in order (the longest common subsequence with the truth), over digits written. */
  digitAccuracy: number;
}

/** How well `read` matches `truth`, number by number. */
export function scoreReadings(truth: string[], read: string[]): ReadScores {
  if (truth.length !== read.length || truth.length === 0) throw new Error(`scoreReadings: ${truth.length} truths for ${read.length} readings`);
  let count = 0;
  let exact = 0;
  let right = 0;
  let written = 0;
  truth.forEach((t, i) => {
    if (read[i].length === t.length) count++;
    if (read[i] === t) exact++;
    right += commonDigits(read[i], t);
    written += t.length;
  });
  return { countRight: count / truth.length, sequenceAccuracy: exact / truth.length, digitAccuracy: right / written };
}

/** Length of the longest common subsequence of two strings. */
export function commonDigits(a: string, b: string): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let diag = 0;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = a[i - 1] === b[j - 1] ? diag + 1 : Math.max(row[j], row[j - 1]);
      diag = up;
    }
  }
  return row[b.length];
}
