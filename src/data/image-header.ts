// What a PNG or JPEG says about itself before a pixel is decoded: its format (from the magic bytes), its
// width and height (PNG: the IHDR chunk; JPEG: the first start-of-frame segment), and, for PNG, whether it
// is interlaced and the most bytes its pixel data can inflate to. Browser-safe: bytes in, numbers out.

export type ImageFormat = 'png' | 'jpeg';

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
  interlaced: boolean;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_MAGIC = [0xff, 0xd8, 0xff];

/** 'png', 'jpeg', or null when the bytes are neither. */
export function sniffImage(bytes: Uint8Array): ImageFormat | null {
  const starts = (magic: number[]): boolean => bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
  return starts(PNG_MAGIC) ? 'png' : starts(JPEG_MAGIC) ? 'jpeg' : null;
}

/** The format and declared size; an error naming `source` when the bytes are not an image or its header is broken. */
export function imageHeader(bytes: Uint8Array, source: string): ImageHeader {
  const format = sniffImage(bytes);
  if (format === null) throw new Error(`${source}: not a PNG or JPEG image (${describeBytes(bytes)})`);
  const h = format === 'png' ? pngHeader(bytes) : jpegHeader(bytes);
  if (!h) throw new Error(`${source}: the ${format === 'png' ? 'PNG' : 'JPEG'} data is corrupt or unsupported (no readable image size in its header)`);
  if (h.width < 1 || h.height < 1) throw new Error(`${source}: the ${format === 'png' ? 'PNG' : 'JPEG'} header declares an image of ${h.width}x${h.height} pixels`);
  return { format, ...h };
}

const u32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const u16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];

function pngHeader(b: Uint8Array): Omit<ImageHeader, 'format'> | null {
  // Signature (8), then the IHDR chunk: length, 'IHDR', width, height, depth, colour type, compression, filter, interlace.
  if (b.length < 29 || String.fromCharCode(b[12], b[13], b[14], b[15]) !== 'IHDR') return null;
  return { width: u32(b, 16), height: u32(b, 20), interlaced: b[28] === 1 };
}

/** Start-of-frame markers (baseline, progressive, lossless, arithmetic): they carry the frame's size. */
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function jpegHeader(b: Uint8Array): Omit<ImageHeader, 'format'> | null {
  let o = 2;
  while (o + 4 <= b.length) {
    if (b[o] !== 0xff) return null;
    const marker = b[o + 1];
    if (marker === 0xff) {
      o++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      o += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image, or scan data before any frame header
    const len = u16(b, o + 2);
    if (len < 2) return null;
    if (SOF.has(marker)) return o + 9 <= b.length ? { height: u16(b, o + 5), width: u16(b, o + 7), interlaced: false } : null;
    o += 2 + len;
  }
  return null;
}

/** The most bytes a PNG's pixel data (all seven passes when interlaced, one filter byte a row) inflates to. */
export function pngDataBound(b: Uint8Array): number {
  const width = u32(b, 16);
  const height = u32(b, 20);
  const depth = b[24];
  const channels = [1, 0, 3, 1, 2, 0, 4][b[25]] || 4;
  const rowBytes = (w: number): number => Math.ceil((w * channels * depth) / 8) + 1;
  // Adam7: each pass is a sub-image; summed, they exceed the plain image by at most a few rows' filter bytes.
  const passes = [[8, 8, 0, 0], [8, 8, 4, 0], [4, 8, 0, 4], [4, 4, 2, 0], [2, 4, 0, 2], [2, 2, 1, 0], [1, 2, 0, 1]];
  let total = 0;
  for (const [dx, dy, x0, y0] of passes) {
    const w = Math.ceil((width - x0) / dx);
    const h = Math.ceil((height - y0) / dy);
    if (w > 0 && h > 0) total += rowBytes(w) * h;
  }
  return total;
}

function describeBytes(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'the file is empty';
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  const first = Array.from(bytes.subarray(0, 64), (c) => String.fromCharCode(c)).join('');
  const text = /^[\x09\x0a\x0d\x20-\x7e]*$/.test(first);
  return text ? `it starts with text: ${JSON.stringify(first.slice(0, 24))}` : `it starts with bytes ${head}`;
}
