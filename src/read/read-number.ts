// readNumber: the whole number written in an image (a drawing, a scan, a photo of paper), digit by digit.
// The image is shrunk to a working size when it is large, its ink found with an adaptive threshold
// (ink.ts), cut into digit candidates (segment.ts), and each candidate is put through MNIST's own
// preprocessing (data/preprocess.ts, the one the CLI, the API and the page use) and classified. Where the
// geometry leaves a choice (one wide digit or two touching ones), the classifier's confidence decides.
// Browser-safe: the page reads numbers with it too.

import { checkImage, grayscaleShrunk, inkToMnist, type Box, type RawImage } from '../data/preprocess.js';
import { Tensor } from '../engine/index.js';
import { dilate, findInk, type Polarity } from './ink.js';
import { pieceHas, within, type InkPixels, type Piece } from './cut.js';
import { segment } from './segment.js';

/** What readNumber needs of a model: 28x28x1 images in, 10 class probabilities out (a digitnet model). */
export interface DigitModel {
  predict(x: Tensor): Tensor;
}

export interface ReadDigit {
  label: number;
  /** The model's probability for `label`. */
  confidence: number;
  /** Where the digit's ink is, in the input image's pixels. */
  box: Box;
}

export interface NumberReading {
  /** The digits read, left to right; "" when the image holds no digit. */
  number: string;
  digits: ReadDigit[];
  /** Whether the ink was darker or lighter than its paper; null when no ink was found. */
  polarity: Polarity | null;
}

export interface ReadOptions {
  /** Images whose longer side exceeds this are shrunk by a whole factor to fit it first (default 1024). */
  maxSide?: number;
}

export const MAX_WORKING_SIDE = 1024;

/** Reads the number written in `image` with `model`. */
export function readNumber(image: RawImage, model: DigitModel, o: ReadOptions = {}): NumberReading {
  checkImage(image, 'readNumber');
  const maxSide = o.maxSide ?? MAX_WORKING_SIDE;
  if (!(maxSide >= 28)) throw new Error(`readNumber: maxSide must be at least 28 pixels, got ${maxSide}`);
  const factor = Math.max(1, Math.ceil(Math.max(image.width, image.height) / maxSide));
  const { gray, width, height } = grayscaleShrunk(image, factor);
  const map = findInk(gray, width, height);
  if (map.empty) return { number: '', digits: [], polarity: null };
  const classifier = new PieceClassifier(model);
  const { pieces, labels, digitHeight, strokeWidth } = segment(map, (options, px) => classifier.choose(options, px));
  const readings = classifier.classify(pieces, { labels, ink: map.ink, width: map.width, digitHeight, strokeWidth });
  const digits = pieces.map((p, i) => ({ label: readings[i].label, confidence: readings[i].confidence, box: scaleBox(p.box, factor, image) }));
  return { number: digits.map((d) => d.label).join(''), digits, polarity: map.polarity };
}

/** The judge's costs (see PieceClassifier.choose). */
const CUT_COST = 1;
const WIDE_COST = 1;
const ONE_DIGIT_WIDTH = 0.8;

interface Reading {
  label: number;
  confidence: number;
}

/** Classifies pieces in batches, remembering each piece's reading so that a judged piece is not redone. */
class PieceClassifier {
  private readonly seen = new WeakMap<Piece, Reading>();

  constructor(private readonly model: DigitModel) {}

  /**
   * The likeliest option: each piece's log-probability for the digit read, less a cost for each stroke a
   * cut divides (one stroke costs as much as reading at 37% instead of surely) and, for a piece read
   * whole, for each digit height of width beyond 0.8 of one (two digits side by side are about 1.4 wide).
   * The two costs were chosen by a grid search over the judge's decisions on numbers composed from MNIST's
   * training digits (the test digits, which the bench measures on, played no part).
   */
  choose(options: Piece[][], px: InkPixels): number {
    this.classify(options.flat(), px);
    let best = 0;
    let bestScore = -Infinity;
    options.forEach((pieces, i) => {
      let score = pieces.reduce((s, p) => s + Math.log(Math.max(1e-6, this.seen.get(p)!.confidence)), 0);
      if (pieces.length > 1) score -= CUT_COST * pieces[0].right!.crossed;
      else score -= WIDE_COST * Math.max(0, pieces[0].box.width / px.digitHeight - ONE_DIGIT_WIDTH);
      if (score > bestScore) {
        best = i;
        bestScore = score;
      }
    });
    return best;
  }

  classify(pieces: Piece[], px: InkPixels): Reading[] {
    const fresh = [...new Set(pieces.filter((p) => !this.seen.has(p)))];
    if (fresh.length > 0) {
      const x = new Float32Array(fresh.length * 784);
      fresh.forEach((p, i) => x.set(mnistOf(p, px), i * 784));
      const probs = this.model.predict(new Tensor(x, [fresh.length, 28, 28, 1]));
      const top = probs.argMax();
      fresh.forEach((p, i) => this.seen.set(p, { label: top[i], confidence: probs.data[i * 10 + top[i]] }));
    }
    return pieces.map((p) => this.seen.get(p)!);
  }
}

/**
 * The piece as MNIST's 28x28: its own ink pixels, plus the faint edge around them (within a halo of a few
 * pixels: the anti-aliasing and blur below the threshold) that is no other candidate's ink and lies
 * between the piece's cuts; then the shared preprocessing.
 */
export function mnistOf(p: Piece, px: InkPixels): Float32Array {
  const height = px.labels.length / px.width;
  const halo = Math.max(1, Math.round(p.box.height / 25));
  const x0 = Math.max(0, p.box.x - halo);
  const x1 = Math.min(px.width - 1, p.box.x + p.box.width - 1 + halo);
  const y0 = Math.max(0, p.box.y - halo);
  const y1 = Math.min(height - 1, p.box.y + p.box.height - 1 + halo);
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const own = new Uint8Array(w * h);
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) if (pieceHas(p, x, y, px.labels[y * px.width + x])) own[(y - y0) * w + x - x0] = 1;
  }
  const near = dilate(own, w, h, halo);
  const ink = new Float32Array(w * h);
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const j = (y - y0) * w + x - x0;
      const i = y * px.width + x;
      if (own[j] || (near[j] && px.labels[i] === 0 && within(p, x, y))) ink[j] = px.ink[i] * 255;
    }
  }
  return inkToMnist(ink, w, h).pixels;
}

/** A box in the working image, in the input image's pixels. */
function scaleBox(b: Box, factor: number, image: RawImage): Box {
  const x = b.x * factor;
  const y = b.y * factor;
  return { x, y, width: Math.min(image.width - x, b.width * factor), height: Math.min(image.height - y, b.height * factor) };
}
