// From ink to digit candidates: the connected components of the ink, specks and shapes along the image's
// edge dropped, the pieces of one broken digit put back together (a 5 written in two strokes, a 4 whose
// stem does not meet its arm), and blobs too wide for one digit cut apart (cut.ts). Browser-safe.

import { connectedComponents, type Component } from './components.js';
import { geometricJudge, resolve, wholePiece, type InkPixels, type Judge, type Piece } from './cut.js';
import type { InkMap } from './ink.js';

export interface Segmentation {
  /** The digit candidates, left to right. */
  pieces: Piece[];
  /** Component id per pixel (0 for no ink). */
  labels: Int32Array;
  /** The height of a typical digit here, in pixels (0 when none was found). */
  digitHeight: number;
  /** The width of a typical stroke, in pixels. */
  strokeWidth: number;
}

/** Components smaller than this share of the largest one are specks (before any merging). */
const SPECK_SHARE = 0.01;
/** A component with this share of its size lying on the image's edge is not writing. */
const BORDER_SHARE = 0.3;
/** Pieces shorter than this share of a typical digit are fragments, joined to a neighbour this close. */
const FRAGMENT_SHARE = 0.5;
const FRAGMENT_REACH = 0.15;
/** A candidate shorter than this share of a typical digit is a speck or a stray mark, not a digit. */
const MIN_HEIGHT_SHARE = 0.35;
/** No digit is shorter than this many pixels in the working image, nor this share of its shorter side. */
const MIN_DIGIT_PX = 6;
const MIN_DIGIT_SHARE = 0.02;

/** Splits the ink map into digit candidates, left to right. */
export function segment(map: InkMap, judge: Judge = geometricJudge): Segmentation {
  const { labels, list } = connectedComponents(map.mask, map.width, map.height);
  const maxArea = list.reduce((m, c) => Math.max(m, c.area), 0);
  const kept = list.filter((c) => c.area >= Math.max(4, SPECK_SHARE * maxArea) && !alongBorder(c));
  const stacked = mergeBroken(kept);
  const digitHeight = typicalHeight(stacked);
  const groups = attachFragments(stacked, digitHeight);
  const least = Math.max(MIN_DIGIT_PX, MIN_DIGIT_SHARE * Math.min(map.width, map.height), MIN_HEIGHT_SHARE * digitHeight);
  const digits = groups.filter((g) => height(g) >= least);
  const ink: InkPixels = { labels, ink: map.ink, width: map.width, digitHeight, strokeWidth: strokeWidth(map.mask, map.width, map.height) };
  const pieces = digits.flatMap((g) => resolve(wholePiece(g.members, g), ink, judge));
  pieces.sort((a, b) => a.box.x + a.box.width / 2 - (b.box.x + b.box.width / 2));
  return { pieces, labels, digitHeight: digits.length ? digitHeight : 0, strokeWidth: ink.strokeWidth };
}

/**
 * The typical stroke width: a stroke of width w and length L covers about wL pixels and has about 2L
 * pixels on its edge, so w is twice the ink's area over its edge pixels.
 */
export function strokeWidth(mask: Uint8Array, width: number, height: number): number {
  let area = 0;
  let edge = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!mask[i]) continue;
      area++;
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1 || !mask[i - 1] || !mask[i + 1] || !mask[i - width] || !mask[i + width]) edge++;
    }
  }
  return edge === 0 ? 1 : Math.max(1, (2 * area) / edge);
}

// ---- Putting broken digits back together ----

/**
 * A shape that runs along the image's edge (a shadow cut off by the frame, the dark edge of a desk) rather
 * than crossing it as a stroke does: its border pixels span a good part of its size.
 */
function alongBorder(c: Component): boolean {
  return c.border >= 3 && c.border >= BORDER_SHARE * Math.max(c.x1 - c.x0 + 1, c.y1 - c.y0 + 1);
}

type Group = Component & { members: number[] };

/** Merges components that belong to one digit, until no pair does. */
function mergeBroken(components: Component[]): Group[] {
  let groups: Group[] = components.map((c) => ({ ...c, members: [c.id] }));
  for (let changed = true; changed; ) {
    changed = false;
    outer: for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        if (!belongTogether(groups[i], groups[j])) continue;
        groups[i] = union(groups[i], groups[j]);
        groups = groups.filter((_, k) => k !== j);
        changed = true;
        break outer;
      }
    }
  }
  return groups;
}

/**
 * A piece too short to be a digit on its own (under FRAGMENT_SHARE of a typical digit's height: a stretch
 * of stroke cut off where the ink is faint) joins the nearest piece that is within FRAGMENT_REACH of a
 * digit's height of it, or is left to be dropped as a speck.
 */
function attachFragments(groups: Group[], digitHeight: number): Group[] {
  const short = (g: Group): boolean => height(g) < FRAGMENT_SHARE * digitHeight;
  let out = [...groups];
  for (const f of groups.filter(short).sort((a, b) => a.area - b.area)) {
    const others = out.filter((g) => g !== f && !g.members.includes(f.id));
    const self = out.find((g) => g.members.includes(f.id))!;
    if (!short(self)) continue;
    let best: Group | null = null;
    for (const g of others) if (boxGap(self, g) <= FRAGMENT_REACH * digitHeight && (!best || boxGap(self, g) < boxGap(self, best))) best = g;
    if (best) out = [...out.filter((g) => g !== best && g !== self), union(best, self)];
  }
  return out;
}

/** Pixels between two boxes (0 when they overlap), the larger of the horizontal and vertical gaps. */
function boxGap(a: Component, b: Component): number {
  return Math.max(0, Math.max(a.x0, b.x0) - Math.min(a.x1, b.x1) - 1, Math.max(a.y0, b.y0) - Math.min(a.y1, b.y1) - 1);
}

/**
 * Two pieces are one digit when they lie mostly one above the other (most of the narrower one's columns
 * are shared), together are no wider than a digit, and either are stacked (a 5's bar over its body, an 8
 * broken at the waist) or one is a short fragment beside a longer stroke. Digits side by side, even
 * overlapping a little, share few columns; a 1 tucked under a 7's bar is as tall as the 7 and not stacked.
 */
function belongTogether(a: Group, b: Group): boolean {
  const shared = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0) + 1;
  if (shared < 0.5 * Math.min(width(a), width(b))) return false;
  if (Math.min(a.area, b.area) < 0.04 * Math.max(a.area, b.area)) return false;
  const u = union(a, b);
  if (width(u) > 1.1 * height(u)) return false;
  const overlapRows = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0) + 1;
  const tall = Math.max(height(a), height(b));
  const short = Math.min(height(a), height(b));
  const stacked = overlapRows <= 0.3 * short && -overlapRows <= 0.4 * tall;
  const fragment = short < 0.6 * tall && overlapRows > 0;
  return stacked || fragment;
}

function union(a: Group, b: Group): Group {
  return {
    id: a.id, x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1),
    area: a.area + b.area, border: a.border + b.border, members: [...a.members, ...b.members],
  };
}

const width = (c: Component): number => c.x1 - c.x0 + 1;
const height = (c: Component): number => c.y1 - c.y0 + 1;

/** The median height of the tall candidates: stray marks and specks do not pull it down. */
function typicalHeight(groups: Group[]): number {
  const tallest = groups.reduce((m, g) => Math.max(m, height(g)), 0);
  const heights = groups.map(height).filter((h) => h >= 0.4 * tallest).sort((a, b) => a - b);
  return heights.length ? heights[Math.floor(heights.length / 2)] : 0;
}
