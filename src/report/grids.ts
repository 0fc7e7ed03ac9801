// Grids of test images as SVG: each image an embedded PNG (enlarged with square pixels, gray or colour) with
// its true class, the prediction and the confidence beneath (class names when the run has them). Correct
// predictions are captioned in green, wrong ones in red. Node-only (PNG encoding).

import { encodeGrayPng, encodeRgbPng } from '../data/images.js';
import { fromBase64, type ShownImage } from '../eval/evaluate.js';
import { FONT } from './charts.js';

const ZOOM = 3;
const SIDE = 28;
const CELL_W = 104;
const CELL_H = SIDE * ZOOM + 40;
const COLUMNS = 10;

/** An SVG grid of the images; `mode` picks the caption. */
export function imageGridSvg(title: string, images: ShownImage[], mode: 'samples' | 'misclassified', classNames?: string[]): string {
  const rows = Math.max(1, Math.ceil(images.length / COLUMNS));
  const width = COLUMNS * CELL_W + 24;
  const height = rows * CELL_H + 56;
  const cells = images.map((im, i) => cell(im, 12 + (i % COLUMNS) * CELL_W, 44 + Math.floor(i / COLUMNS) * CELL_H, mode, classNames));
  const empty = images.length === 0
    ? `<text x="${width / 2}" y="${44 + CELL_H / 2}" text-anchor="middle" font-size="14" fill="#555">none: every test image was classified correctly</text>`
    : '';
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="12" y="26" font-size="15" font-weight="bold" fill="#000">${escapeXml(title)}</text>`,
    ...cells,
    empty,
    '</svg>',
  ].join('\n');
}

function cell(im: ShownImage, x: number, y: number, mode: 'samples' | 'misclassified', classNames?: string[]): string {
  const ok = im.label === im.predicted;
  const colour = ok ? '#1a7f37' : '#cf222e';
  const size = SIDE * ZOOM;
  const ix = x + (CELL_W - size) / 2;
  // Digits say "true 3 · pred 5"; class names take the room of those words ("Coat → Shirt").
  const name = (i: number): string => shortName(classNames![i] ?? String(i));
  const line1 = classNames ? `${name(im.label)} → ${name(im.predicted)}`
    : mode === 'samples' ? `true ${im.label} · pred ${im.predicted}` : `true ${im.label} → pred ${im.predicted}`;
  const line2 = `${(im.confidence * 100).toFixed(1)}% · #${im.index}`;
  const png = imagePng(im.pixels, im.shape ?? [SIDE, SIDE, 1]);
  return [
    `<image x="${ix}" y="${y}" width="${size}" height="${size}" xlink:href="data:image/png;base64,${png}"/>`,
    `<rect x="${ix - 0.5}" y="${y - 0.5}" width="${size + 1}" height="${size + 1}" fill="none" stroke="${colour}" stroke-width="${ok ? 1 : 2}"/>`,
    `<text x="${x + CELL_W / 2}" y="${y + size + 16}" text-anchor="middle" font-size="12" fill="${colour}">${escapeXml(line1)}</text>`,
    `<text x="${x + CELL_W / 2}" y="${y + size + 31}" text-anchor="middle" font-size="11" fill="#555">${escapeXml(line2)}</text>`,
  ].join('\n');
}

/** A class name short enough for a caption under an image. */
function shortName(name: string): string {
  return name.length > 7 ? `${name.slice(0, 6)}…` : name;
}

/** A square one-channel image (augmentation works on those) of any side, drawn as imagePng draws. */
function squarePng(base64: string): string {
  const side = Math.round(Math.sqrt(fromBase64(base64).length));
  return imagePng(base64, [side, side, 1]);
}

/** The image (h, w, c) drawn in a SIDE·ZOOM square with nearest-neighbour pixels, as base64 PNG. */
function imagePng(base64: string, shape: number[]): string {
  const src = fromBase64(base64);
  const [h, w, c] = shape;
  const s = SIDE * ZOOM;
  const big = new Uint8Array(s * s * c);
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const from = (Math.floor((y * h) / s) * w + Math.floor((x * w) / s)) * c;
      for (let k = 0; k < c; k++) big[(y * s + x) * c + k] = src[from + k];
    }
  }
  return (c === 3 ? encodeRgbPng(big, s, s) : encodeGrayPng(big, s, s)).toString('base64');
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A row per training image: the original, then its augmented versions (what the network was shown). */
export function augmentedGridSvg(rows: { label: number; original: string; variants: string[] }[], spec: string): string {
  const cols = 1 + Math.max(0, ...rows.map((r) => r.variants.length));
  const size = SIDE * ZOOM;
  const cellW = size + 12;
  const width = cols * cellW + 24;
  const height = rows.length * (size + 12) + 70;
  const cells = rows.flatMap((r, i) => [r.original, ...r.variants].map((px, j) => {
    const x = 12 + j * cellW;
    const y = 60 + i * (size + 12);
    return `<image x="${x}" y="${y}" width="${size}" height="${size}" xlink:href="data:image/png;base64,${squarePng(px)}"/>` +
      (j === 0 ? `<rect x="${x - 0.5}" y="${y - 0.5}" width="${size + 1}" height="${size + 1}" fill="none" stroke="#1f77b4" stroke-width="2"/>` : '');
  }));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="12" y="26" font-size="15" font-weight="bold" fill="#000">${escapeXml('Augmented training images')}</text>`,
    `<text x="12" y="46" font-size="12" fill="#555">${escapeXml(`first column: the image (outlined); then ${cols - 1} random versions (${spec})`)}</text>`,
    ...cells,
    '</svg>',
  ].join('\n');
}
