// Image files to pixels (Node): PNG through pngjs and JPEG through jpeg-js, chosen by the file's magic
// bytes rather than its name, into the `{data, width, height, channels}` form that preprocess.ts takes.
// Anything else is refused with a message saying what the bytes look like.

import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { RawImage } from './preprocess.js';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_MAGIC = [0xff, 0xd8, 0xff];
/** Largest image accepted, in pixels: a 50-megapixel photo decodes to 200 MB of RGBA. */
const MAX_PIXELS = 50e6;

export type ImageFormat = 'png' | 'jpeg';

/** 'png', 'jpeg', or null when the bytes are neither. */
export function sniffImage(bytes: Uint8Array): ImageFormat | null {
  const starts = (magic: number[]): boolean => bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
  return starts(PNG_MAGIC) ? 'png' : starts(JPEG_MAGIC) ? 'jpeg' : null;
}

/** Decodes PNG or JPEG bytes to RGBA pixels (4 channels). `source` names the input in errors. */
export function decodeImage(bytes: Uint8Array, source = 'image'): RawImage {
  const format = sniffImage(bytes);
  if (format === null) throw new Error(`${source}: not a PNG or JPEG image (${describeBytes(bytes)})`);
  try {
    if (format === 'png') {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength), width: png.width, height: png.height, channels: 4 };
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
    return { data: img.data, width: img.width, height: img.height, channels: 4 };
  } catch (e) {
    throw new Error(`${source}: the ${format === 'png' ? 'PNG' : 'JPEG'} data is corrupt or unsupported (${(e as Error).message})`);
  }
}

/** Reads and decodes an image file. */
export function readImageFile(path: string): RawImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return decodeImage(bytes, path);
}

/** Encodes 8-bit grayscale pixels as a PNG file's bytes. */
export function encodeGrayPng(pixels: Uint8Array, width: number, height: number): Buffer {
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  return PNG.sync.write(Object.assign(png, { data: Buffer.from(pixels) }), { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

/** Encodes gray, RGB or RGBA pixels (alpha dropped) as a JPEG file's bytes, at `quality` 1..100. */
export function encodeJpeg(img: RawImage, quality = 90): Buffer {
  const { data, width, height, channels } = img;
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const p = i * channels;
    const [r, g, b] = channels >= 3 ? [data[p], data[p + 1], data[p + 2]] : [data[p], data[p], data[p]];
    rgba[i * 4] = r;
    rgba[i * 4 + 1] = g;
    rgba[i * 4 + 2] = b;
    rgba[i * 4 + 3] = 255;
  }
  return Buffer.from(jpeg.encode({ data: rgba, width, height }, quality).data);
}

function describeBytes(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'the file is empty';
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  const text = /^[\x09\x0a\x0d\x20-\x7e]*$/.test(Buffer.from(bytes.subarray(0, 64)).toString('latin1'));
  return text ? `it starts with text: ${JSON.stringify(Buffer.from(bytes.subarray(0, 24)).toString('latin1'))}` : `it starts with bytes ${head}`;
}
