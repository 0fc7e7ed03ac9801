// MNIST as CSV, read streaming: one row per image, either `label,p0..p783` (training and test data, with
// Kaggle's `label,pixel0,...` header or none) or `p0..p783` (unlabeled rows for prediction, with Kaggle's
// `pixel0,...` header or none). Rows are parsed as the file streams in and packed straight into one
// growing byte buffer, so a 100 MB file costs about its pixel count in memory, not three copies of it.
// Labels are class indices 0..255 (any number of classes; class-names.ts names them). Pixels are decimal
// numbers 0..255 (or 0..1 with pixelRange '0-1'); fields may be quoted. Every bad row
// stops the read with an error naming the file, the line and what is wrong. Node-only.

import { openRegularFile } from '../engine/io/read-file.js';
import type { ImageSet } from './idx.js';
import { DATA_LIMITS } from './limits.js';
import { forEachLine, splitQuoted } from './text-lines.js';

export const SIDE = 28;
export const PIXELS = SIDE * SIDE;
/** Labels are class indices stored in a byte: at most 256 classes. */
export const MAX_LABEL = 255;

/** Rows with or without a label; 'auto' decides from the column count (785: labelled, 784: not). */
export type CsvKind = 'labeled' | 'unlabeled' | 'auto';
/** How pixel values are written: whole numbers 0..255 (MNIST's own), or fractions 0..1 (scaled by 255). */
export type PixelRange = '0-255' | '0-1';

export interface CsvImages extends ImageSet {
  /** Whether the rows carried labels (when not, `labels` is empty). */
  labeled: boolean;
  /** The 1-based line of each row in the file, for messages about a row. */
  lines: Uint32Array;
  hasHeader: boolean;
}

export interface ReadCsvOptions {
  kind?: CsvKind;
  /** Stop after this many rows. */
  limit?: number;
  pixelRange?: PixelRange;
}

export class CsvError extends Error {}

/** Reads an MNIST CSV file; throws CsvError `file:line: what is wrong` on the first bad row. */
export async function readMnistCsv(path: string, o: ReadCsvOptions = {}): Promise<CsvImages> {
  let fd: number;
  try {
    fd = openRegularFile(path, Number.MAX_SAFE_INTEGER, 'CSV file').fd;
  } catch (e) {
    throw new CsvError((e as Error).message);
  }
  const reader = new RowReader(path, o.kind ?? 'auto', o.limit ?? Infinity, o.pixelRange ?? '0-255');
  await forEachLine(fd, path, DATA_LIMITS.csvLineChars, (line, n) => reader.line(line, n));
  return reader.finish();
}

/** The state of one read: column layout, the packed buffers, and where a blank line was seen. */
class RowReader {
  private lineNo = 0;
  private columns = 0;
  private labeled = false;
  private hasHeader = false;
  private count = 0;
  private images = new Uint8Array(PIXELS * 1024);
  private labels = new Uint8Array(1024);
  private lineOf = new Uint32Array(1024);
  private blankAt = 0;
  /** The current row's largest pixel, and whether it held a fraction: together they tell 0..1 data. */
  private rowMax = 0;
  private rowFraction = false;

  constructor(private readonly path: string, private readonly kind: CsvKind, private readonly limit: number, private readonly range: PixelRange) {}

  /** Takes one line; returns false once the row limit is reached. */
  line(text: string, lineNo: number): boolean {
    this.lineNo = lineNo;
    if (text.trim() === '') {
      this.blankAt ||= this.lineNo;
      return true;
    }
    // A blank line is allowed only at the end of the file: one in the middle would hide a lost row.
    if (this.blankAt) this.fail(this.blankAt, 'empty line between rows; remove it (every line must be one image)');
    if (this.columns === 0) return this.first(text);
    this.row(text);
    return this.count < this.limit;
  }

  private first(text: string): boolean {
    const fields = this.fields(text);
    // A header holds a name; a value such as 0x10 or 1e2 is a number, refused below as not decimal.
    this.hasHeader = fields.some((f) => f.trim() !== '' && !Number.isFinite(Number(f)));
    this.setLayout(fields.length, this.hasHeader ? fields[0].trim().toLowerCase() === 'label' : null);
    if (this.hasHeader) {
      this.checkHeader(fields);
      return true;
    }
    this.row(text);
    return this.count < this.limit;
  }

  private fields(text: string): string[] {
    if (!text.includes('"')) return text.split(',');
    const f = splitQuoted(text);
    if (!f) this.fail(this.lineNo, 'a quoted field is not closed (a field may not span lines)');
    return f;
  }

  /** Decides labelled or not from the column count (and the header's first name), per the requested kind. */
  private setLayout(columns: number, headerSaysLabel: boolean | null): void {
    const labeled = columns === PIXELS + 1 || (headerSaysLabel === true && columns !== PIXELS);
    if (columns !== PIXELS && columns !== PIXELS + 1) {
      const want = this.kind === 'labeled' ? `${PIXELS + 1} (label + ${PIXELS} pixels)`
        : this.kind === 'unlabeled' ? `${PIXELS} (one per pixel of a 28x28 image)`
          : `${PIXELS + 1} (label + ${PIXELS} pixels) or ${PIXELS} (pixels only)`;
      this.fail(1, `${columns} columns, expected ${want}`);
    }
    if (this.kind === 'labeled' && !labeled) {
      this.fail(1, `${columns} columns: the rows have no label; expected ${PIXELS + 1} (label + ${PIXELS} pixels)`);
    }
    if (this.kind === 'unlabeled' && labeled) {
      this.fail(1, `${columns} columns: expected ${PIXELS} pixel columns without a label (this looks like labelled data)`);
    }
    this.columns = columns;
    this.labeled = labeled;
  }

  private checkHeader(fields: string[]): void {
    const names = fields.map((f) => f.trim().toLowerCase());
    const offset = this.labeled ? 1 : 0;
    if (this.labeled && names[0] !== 'label') this.fail(1, `header column 1 is '${shown(fields[0])}', expected 'label'`);
    for (let i = offset; i < names.length; i++) {
      if (!/^(pixel)?\d+$|^\d+x\d+$/.test(names[i])) {
        this.fail(1, `header column ${i + 1} is '${shown(fields[i])}', expected a pixel name such as 'pixel${i - offset}'`);
      }
    }
  }

  private row(text: string): void {
    this.grow();
    const base = this.count * PIXELS;
    this.rowMax = 0;
    this.rowFraction = false;
    if (text.includes('"')) {
      const fields = this.fields(text);
      if (fields.length !== this.columns) this.fail(this.lineNo, `${fields.length} columns, expected ${this.columns}${this.layoutNote()}`);
      fields.forEach((f, col) => this.field(f, 0, f.length, col, base));
    } else {
      let col = 0;
      let start = 0;
      for (let i = 0; i <= text.length; i++) {
        if (i < text.length && text.charCodeAt(i) !== 44 /* , */) continue;
        if (col >= this.columns) this.fail(this.lineNo, `${countFields(text)} columns, expected ${this.columns}${this.layoutNote()}`);
        this.field(text, start, i, col, base);
        col++;
        start = i + 1;
      }
      if (col !== this.columns) this.fail(this.lineNo, `${col} columns, expected ${this.columns}${this.layoutNote()}`);
    }
    if (this.range === '0-255' && this.rowFraction && this.rowMax <= 1) {
      this.fail(this.lineNo, `the pixels are fractions from 0 to 1 (the largest on this line is ${this.rowMax}), not 0..255; pass --pixel-range 0-1 to read them so, or write them as whole numbers 0..255`);
    }
    this.lineOf[this.count] = this.lineNo;
    if (++this.count > DATA_LIMITS.csvRows) this.fail(this.lineNo, `more than ${DATA_LIMITS.csvRows.toLocaleString('en-US')} rows, the most one CSV file may hold`);
  }

  private field(text: string, s: number, e: number, col: number, base: number): void {
    const v = parseNumber(text, s, e);
    if (Number.isNaN(v)) {
      const raw = text.slice(s, e);
      const numberLike = raw.trim() !== '' && Number.isFinite(Number(raw)) || /^\s*[+-]?inf/i.test(raw);
      const why = numberLike ? 'not a decimal number (hex, exponents and Infinity are not read: write digits, such as 100)' : 'not a number';
      this.fail(this.lineNo, `column ${col + 1} is ${raw.trim() === '' ? 'empty' : `'${shown(raw)}'`}, ${why}`);
    }
    if (this.labeled && col === 0) {
      if (!Number.isInteger(v) || v < 0 || v > MAX_LABEL) this.fail(this.lineNo, `label is ${v}, expected a whole class index 0..${MAX_LABEL}`);
      this.labels[this.count] = v;
      return;
    }
    const p = col - (this.labeled ? 1 : 0);
    const top = this.range === '0-1' ? 1 : 255;
    if (v < 0 || v > top) {
      const flag = this.range === '0-1' ? ' (--pixel-range 0-1)' : '';
      this.fail(this.lineNo, `pixel ${p} (column ${col + 1}, row ${Math.floor(p / SIDE)}, column ${p % SIDE} of the image) is ${v}, outside 0..${top}${flag}`);
    }
    if (v > this.rowMax) this.rowMax = v;
    if (!Number.isInteger(v)) this.rowFraction = true;
    this.images[base + p] = Math.round(this.range === '0-1' ? v * 255 : v);
  }

  private layoutNote(): string {
    return this.labeled ? ` (label + ${PIXELS} pixels)` : ` (${PIXELS} pixels)`;
  }

  private grow(): void {
    if (this.count < this.labels.length) return;
    const cap = this.labels.length * 2;
    const images = new Uint8Array(cap * PIXELS);
    images.set(this.images);
    this.images = images;
    const labels = new Uint8Array(cap);
    labels.set(this.labels);
    this.labels = labels;
    const lineOf = new Uint32Array(cap);
    lineOf.set(this.lineOf);
    this.lineOf = lineOf;
  }

  finish(): CsvImages {
    if (this.columns === 0) throw new CsvError(`${this.path}: the file is empty`);
    if (this.count === 0) throw new CsvError(`${this.path}: the file has a header but no data rows`);
    const n = this.count;
    return {
      images: this.images.subarray(0, n * PIXELS), // no copy: the slack is at most the last doubling
      labels: this.labeled ? this.labels.slice(0, n) : new Uint8Array(0),
      count: n,
      height: SIDE,
      width: SIDE,
      labeled: this.labeled,
      lines: this.lineOf.slice(0, n),
      hasHeader: this.hasHeader,
    };
  }

  private fail(line: number, what: string): never {
    throw new CsvError(`${this.path}:${line}: ${what}`);
  }
}

/** A value from the file as a message quotes it: control characters escaped, at most 40 characters. */
function shown(raw: string): string {
  const s = raw.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

function countFields(text: string): number {
  let n = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 44) n++;
  return n;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)$/;

/** A plain decimal number ('12', '-3', '0.5', '.5'); NaN for anything else, hex and exponents included. */
function decimal(s: string): number {
  return DECIMAL.test(s) ? Number(s) : NaN;
}

/** The number in text[s, e), ignoring surrounding spaces; NaN when it is not a decimal number. Fast path for digits. */
function parseNumber(text: string, s: number, e: number): number {
  let v = 0;
  let i = s;
  for (; i < e; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
  }
  if (i === e && e > s) return v;
  return decimal(text.slice(s, e).trim());
}

/** Writes image sets as CSV lines (label first unless `labels` is empty), streaming to `write`. */
export function* csvLines(set: { images: Uint8Array; labels: Uint8Array; count: number }, header: 'kaggle' | 'none' = 'none'): Generator<string> {
  const labeled = set.labels.length > 0;
  if (header === 'kaggle') {
    yield [...(labeled ? ['label'] : []), ...Array.from({ length: PIXELS }, (_, i) => `pixel${i}`)].join(',') + '\n';
  }
  for (let r = 0; r < set.count; r++) {
    const px = set.images.subarray(r * PIXELS, (r + 1) * PIXELS).join(',');
    yield labeled ? `${set.labels[r]},${px}\n` : `${px}\n`;
  }
}
