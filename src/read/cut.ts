// Cutting touching digits apart. A blob wide enough to hold two digits is cut along a path from its top
// to its bottom that crosses as little ink as it can: the path starts from a neck (a column where the
// ink's profile narrows), may lean to follow a slanted boundary (a 1 leaning into a 9), and divides each
// row at its own column. Where the geometry cannot tell one wide digit from two touching ones, a judge
// chooses among the ways to read the blob; readNumber's judge asks the classifier. Browser-safe.

import type { Box } from '../data/preprocess.js';

/** A cut through a blob: for each row from y0 on, the last column on its left side. */
export interface Cut {
  y0: number;
  xs: Int32Array;
  /** The ink the cut divides, in strokes: 1 for a cut across one stroke of the usual width at full ink. */
  crossed: number;
}

/** One digit candidate: the pixels of some components, between the cuts that bound it (if any). */
export interface Piece {
  /** Ids of the components whose pixels it takes (as in `InkPixels.labels`). */
  parts: number[];
  /** It takes only pixels right of this cut / at or left of that one; null where the ink's edge bounds it. */
  left: Cut | null;
  right: Cut | null;
  /** Bounding box of its pixels, in the working image's coordinates. */
  box: Box;
}

/** What cutting needs to see of the ink: component ids and ink levels per pixel, row-major. */
export interface InkPixels {
  labels: Int32Array;
  ink: Float32Array;
  width: number;
  /** The height of a typical digit in the image. */
  digitHeight: number;
  /** The width of a typical stroke, in pixels. */
  strokeWidth: number;
}

/** Chooses among alternative readings of one blob of ink (each a list of pieces); returns an index. */
export type Judge = (options: Piece[][], pixels: InkPixels) => number;

/** The default judge: the first option, which `alternatives` lists in the geometry's order of preference. */
export const geometricJudge: Judge = () => 0;

/** Below this width-to-height ratio a candidate is one digit; from it on, cuts are considered... */
const SPLIT_ASPECT = 0.6;
/** ...which the geometry prefers from this ratio on, and which are forced from the next on. */
const PREFER_SPLIT_ASPECT = 1.25;
const FORCE_SPLIT_ASPECT = 2.2;
/** Each side of a cut must be at least this share of the candidate's height (not a stroke's loose end)... */
const MIN_CUT_HEIGHT = 0.6;
/** ...and hold at least this share of its ink. */
const MIN_CUT_INK = 0.08;
/** ...and at least this wide for its height (narrower is a sliver of stroke: the thinnest 1s are 0.2). */
const MIN_CUT_ASPECT = 0.2;
/** No neck closer than this share of the height to the candidate's edge (a 1 is about this narrow). */
const MIN_PART_SHARE = 0.12;
/** How many valid cuts are offered to the judge. */
const PATHS = 4;
/** Path costs beyond the ink crossed: a sideways step per row, and per column away from a usual boundary. */
const STEP = 0.3;
const DRIFT = 0.01;

export function wholePiece(parts: number[], b: { x0: number; y0: number; x1: number; y1: number }): Piece {
  return { parts, left: null, right: null, box: { x: b.x0, y: b.y0, width: b.x1 - b.x0 + 1, height: b.y1 - b.y0 + 1 } };
}

/** Whether the pixel (x, y), whose component id is `label`, belongs to the piece. */
export function pieceHas(p: Piece, x: number, y: number, label: number): boolean {
  return p.parts.includes(label) && within(p, x, y);
}

/** Whether (x, y) lies between the piece's cuts. */
export function within(p: Piece, x: number, y: number): boolean {
  return (p.left === null || x > cutX(p.left, y)) && (p.right === null || x <= cutX(p.right, y));
}

function cutX(c: Cut, y: number): number {
  return c.xs[Math.max(0, Math.min(c.xs.length - 1, y - c.y0))];
}

/** The pieces a candidate resolves to: itself, or, cut where the judge picks, each side resolved in turn. */
export function resolve(p: Piece, px: InkPixels, judge: Judge): Piece[] {
  const options = alternatives(p, px);
  const chosen = options.length === 1 ? options[0] : options[Math.max(0, Math.min(options.length - 1, judge(options, px)))];
  return chosen.length === 1 ? chosen : chosen.flatMap((q) => resolve(q, px, judge));
}

/**
 * The ways to read a candidate: whole (unless it is too wide for one digit), or cut in two along one of
 * the paths that cross the least ink; in the geometry's order of preference.
 */
export function alternatives(p: Piece, px: InkPixels): Piece[][] {
  // Widths are judged against the line's digit height too: a short, wide digit is not two.
  const w = p.box.width;
  const h = Math.max(p.box.height, px.digitHeight);
  if (w < SPLIT_ASPECT * h) return [[p]];
  const cuts: [Piece, Piece][] = [];
  for (const path of cutPaths(p, px)) {
    const pair = split(p, path, px);
    if (pair) cuts.push(pair);
    if (cuts.length === PATHS) break;
  }
  if (cuts.length === 0) return [[p]];
  if (w >= FORCE_SPLIT_ASPECT * h) return cuts;
  return w >= PREFER_SPLIT_ASPECT * h ? [...cuts, [p]] : [[p], ...cuts];
}

/**
 * Paths from the piece's top row to its bottom row, cheapest first, ending apart from each other. Each
 * row is divided between two columns, at the cost of the fainter of the piece's two pixels there: ink
 * runs across the cut only where both hold it (so running alongside a stroke, or between two strokes
 * that merely touch, costs nothing; crossing a stroke costs its thickness, a faint bridge little); moving
 * one column sideways from one row to the next costs STEP, so paths lean only to follow a slanted gap.
 * Paths keep MIN_PART_SHARE of the height away from the piece's sides, and a small cost for straying from
 * the boundaries between digits of the usual width (0.7 of their height) breaks ties.
 */
function cutPaths(p: Piece, px: InkPixels): Cut[] {
  const { x: bx, y: by, width: bw, height: bh } = p.box;
  const margin = Math.max(2, Math.round(MIN_PART_SHARE * bh));
  const lo = bx + margin - 1;
  const n = bw - 2 * margin + 1;
  if (n < 1) return [];
  const k = Math.max(2, Math.round(bw / (0.7 * bh)));
  const boundaries = Array.from({ length: k - 1 }, (_, j) => bx + ((j + 1) * bw) / k);
  const drift = (x: number): number => DRIFT * Math.min(...boundaries.map((b) => Math.abs(x + 0.5 - b)));
  const own = (x: number, y: number): number => {
    const i = y * px.width + x;
    return pieceHas(p, x, y, px.labels[i]) ? px.ink[i] : 0;
  };
  const total = new Float32Array(bh * n);
  const move = new Int8Array(bh * n);
  for (let r = 0; r < bh; r++) {
    for (let i = 0; i < n; i++) {
      const here = Math.min(own(lo + i, by + r), own(lo + i + 1, by + r));
      if (r === 0) {
        total[i] = here + drift(lo + i);
        continue;
      }
      let best = Infinity;
      for (let d = -1; d <= 1; d++) {
        const j = i + d;
        if (j < 0 || j >= n) continue;
        const c = total[(r - 1) * n + j] + (d === 0 ? 0 : STEP);
        if (c < best) {
          best = c;
          move[r * n + i] = d;
        }
      }
      total[r * n + i] = here + best;
    }
  }
  const ends = Array.from({ length: n }, (_, i) => i).sort((a, b) => total[(bh - 1) * n + a] - total[(bh - 1) * n + b]);
  const picked: number[] = [];
  for (const e of ends) if (picked.every((q) => Math.abs(q - e) >= margin / 2)) picked.push(e);
  return picked.map((end) => {
    const xs = new Int32Array(bh);
    let crossed = 0;
    let i = end;
    for (let r = bh - 1; r >= 0; r--) {
      xs[r] = lo + i;
      crossed += Math.min(own(lo + i, by + r), own(lo + i + 1, by + r));
      i += move[r * n + i];
    }
    return { y0: by, xs, crossed: crossed / px.strokeWidth };
  });
}

/**
 * The piece on each side of the cut, or null unless each could be a digit: tall enough, not a sliver, and
 * holding a fair share of the ink (not the loose end of a stroke or a serif cut off).
 */
function split(p: Piece, cut: Cut, px: InkPixels): [Piece, Piece] | null {
  const left = fitted({ ...p, right: cut }, px);
  const right = fitted({ ...p, left: cut }, px);
  if (!left || !right) return null;
  const total = left.pixels + right.pixels;
  const digitLike = (q: Fitted): boolean =>
    q.piece.box.height >= MIN_CUT_HEIGHT * p.box.height && q.piece.box.width >= MIN_CUT_ASPECT * q.piece.box.height && q.pixels >= MIN_CUT_INK * total;
  return digitLike(left) && digitLike(right) ? [left.piece, right.piece] : null;
}

interface Fitted {
  piece: Piece;
  pixels: number;
}

/** The piece with its box fitted to its own pixels, and their count; null when it has none. */
function fitted(p: Piece, px: InkPixels): Fitted | null {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -1;
  let y1 = -1;
  let pixels = 0;
  forEachPixel(p, px, (x, y) => {
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
    pixels++;
  });
  return x1 < 0 ? null : { piece: { ...p, box: { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 } }, pixels };
}

/** Calls `f` for each of the piece's pixels (scanning its current box). */
function forEachPixel(p: Piece, px: InkPixels, f: (x: number, y: number) => void): void {
  const { x: bx, y: by, width: bw, height: bh } = p.box;
  for (let y = by; y < by + bh; y++) {
    for (let x = bx; x < bx + bw; x++) if (pieceHas(p, x, y, px.labels[y * px.width + x])) f(x, y);
  }
}
