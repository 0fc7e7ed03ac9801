// A figure of explanations as SVG: one row per image with the image, its saliency, its Grad-CAM and the top
// classes as bars, under a caption. Used by the report (misclassified test digits) and by `digitnet explain`
// (its explanations.png). Node-only (PNG encoding).

import type { ClassScore } from '../explain/explain.js';
import { rasterPng } from '../explain/files.js';
import type { Raster } from '../explain/render.js';
import { FONT } from './charts.js';
import { escapeXml } from './grids.js';

export interface ExplainRow {
  caption: string;
  /** Caption colour (default dark grey). */
  colour?: string;
  input: Raster;
  saliency: Raster;
  gradCam: Raster | null;
  top: ClassScore[];
  /** Highlight this class in the bars (the true label), when known. */
  truth?: number;
  /** Grad-CAM's map is zero everywhere (every weighted sum negative): said on the tile, which would look blank. */
  gradCamEmpty?: boolean;
  /** The classes' names, shown by the bars instead of their indices. */
  classNames?: string[];
}

const TILE = 112;
const GAP = 16;
const ROW_H = TILE + 36;
const BAR_W = 150;
const LEFT = 12;
const TOP = 64;
/** Where the bars start: after the three images. */
const BARS_X = LEFT + 3 * (TILE + GAP) + 12;
/** Room for a class's name before its bar: an index, or a name of up to LONGEST_NAME characters. */
const LONGEST_NAME = 12;
const NAME_W = 8;

/** The figure; `gradCamLayer` names the layer in the column header. */
export function explainGridSvg(title: string, rows: ExplainRow[], gradCamLayer: string | null): string {
  const width = BARS_X + labelWidth(rows) + BAR_W + 62;
  const height = TOP + Math.max(1, rows.length) * ROW_H + 8;
  const heads = ['image', 'saliency', 'Grad-CAM', 'top classes'];
  const header = heads.map((h, i) => `<text x="${i < 3 ? LEFT + i * (TILE + GAP) : BARS_X}" y="${TOP - 10}" font-size="12" fill="#555">${escapeXml(h)}</text>`);
  if (gradCamLayer) header.push(`<text x="${LEFT + 2 * (TILE + GAP)}" y="${TOP - 24}" font-size="11" fill="#888">over ${escapeXml(gradCamLayer)}</text>`);
  const empty = rows.length === 0 ? `<text x="${LEFT}" y="${TOP + 30}" font-size="14" fill="#555">none: no image to explain</text>` : '';
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="26" font-size="15" font-weight="bold" fill="#000">${escapeXml(title)}</text>`,
    ...header,
    ...rows.map((r, i) => row(r, TOP + i * ROW_H, labelWidth(rows))),
    empty,
    '</svg>',
  ].join('\n');
}

/** The width before the bars: an index's, or the longest class name shown (up to LONGEST_NAME characters). */
function labelWidth(rows: ExplainRow[]): number {
  const longest = Math.max(1, ...rows.flatMap((r) => r.top.map((c) => nameOf(r, c.index).length)));
  return Math.max(18, longest * NAME_W + 8);
}

function nameOf(r: ExplainRow, index: number): string {
  const name = r.classNames?.[index] ?? String(index);
  return name.length > LONGEST_NAME ? `${name.slice(0, LONGEST_NAME - 1)}…` : name;
}

function row(r: ExplainRow, y: number, labelW: number): string {
  const tiles = [r.input, r.saliency, r.gradCam].map((t, i) => (t ? image(t, LEFT + i * (TILE + GAP), y) : ''));
  const bx = BARS_X;
  const bars = r.top.map((c, i) => {
    const by = y + 8 + i * 30;
    const colour = c.index === r.truth ? '#1a7f37' : i === 0 ? '#cf222e' : '#4c78a8';
    return [
      `<text x="${bx}" y="${by + 14}" font-size="13" font-weight="bold" fill="${colour}">${escapeXml(nameOf(r, c.index))}</text>`,
      `<rect x="${bx + labelW}" y="${by + 2}" width="${BAR_W}" height="16" fill="#eef0f3"/>`,
      `<rect x="${bx + labelW}" y="${by + 2}" width="${(BAR_W * c.p).toFixed(1)}" height="16" fill="${colour}"/>`,
      `<text x="${bx + labelW + 6 + BAR_W}" y="${by + 14}" font-size="12" fill="#333">${(c.p * 100).toFixed(1)}%</text>`,
    ].join('\n');
  });
  const gx = LEFT + 2 * (TILE + GAP) + TILE / 2;
  const empty = r.gradCamEmpty ? `<text x="${gx}" y="${y + TILE - 8}" text-anchor="middle" font-size="10" fill="#f0f0f0">zero everywhere</text>` : '';
  const caption = `<text x="${LEFT}" y="${y + TILE + 20}" font-size="12" fill="${r.colour ?? '#333'}">${escapeXml(r.caption)}</text>`;
  return [...tiles, empty, ...bars, caption].join('\n');
}

function image(r: Raster, x: number, y: number): string {
  return `<image x="${x}" y="${y}" width="${TILE}" height="${TILE}" style="image-rendering:pixelated" xlink:href="data:image/png;base64,${rasterPng(r).toString('base64')}"/>`;
}
