// Image files to pixels (Node): PNG through pngjs and JPEG through jpeg-js, chosen by the file's magic
// bytes rather than its name, into the `{data, width, height, channels}` form that preprocess.ts takes.
// The dimensions are read from the header first (image-header.ts) and refused above the limits before any
// pixel is decoded. Anything else is refused with a message saying what the bytes look like.

import { inflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { readRegularFile } from '../engine/io/read-file.js';
import { imageHeader, pngDataBound, type ImageFormat } from './image-header.js';
import { DATA_LIMITS } from './limits.js';
import type { RawImage } from './preprocess.js';

export { sniffImage, type ImageFormat } from './image-header.js';

/** The most pixels, and pixels a side, an image may declare. */
export interface ImageLimits {
  pixels: number;
  side: number;
}

/** An image refused for its declared size, before decoding (the server answers it with 413). */
export class ImageTooLargeError extends Error {}

/** Decodes PNG or JPEG bytes to RGBA pixels (4 channels). `source` names the input in errors. */
export function decodeImage(bytes: Uint8Array, source = 'image', limits: ImageLimits = { pixels: DATA_LIMITS.imagePixels, side: DATA_LIMITS.imageSide }): RawImage {
  const h = imageHeader(bytes, source);
  const name = h.format === 'png' ? 'PNG' : 'JPEG';
  if (h.width * h.height > limits.pixels || Math.max(h.width, h.height) > limits.side) {
    throw new ImageTooLargeError(`${source}: the ${name} image is ${h.width}x${h.height} pixels (${megapixels(h.width * h.height)}); the limit is ${megapixels(limits.pixels)} and ${limits.side.toLocaleString('en-US')} pixels a side`);
  }
  try {
    if (h.format === 'png') return decodePng(bytes, h.interlaced);
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: limits.pixels / 1e6, maxMemoryUsageInMB: Math.ceil((limits.pixels * 12) / 1e6) + 64 });
    return { data: img.data, width: img.width, height: img.height, channels: 4 };
  } catch (e) {
    throw new Error(`${source}: the ${name} data is corrupt or unsupported (${(e as Error).message.split('\n')[0]})`);
  }
}

function decodePng(bytes: Uint8Array, interlaced: boolean): RawImage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // pngjs bounds the inflated data by the image's size, except for interlaced images: bound those here.
  if (interlaced) {
    try {
      inflateSync(idatOf(buf), { maxOutputLength: pngDataBound(buf) + 1 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new Error('its compressed data inflates to more than its declared size needs');
      throw e;
    }
  }
  const png = PNG.sync.read(buf);
  return { data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength), width: png.width, height: png.height, channels: 4 };
}

/** The concatenated IDAT chunks of a PNG. */
function idatOf(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let o = 8; o + 12 <= buf.length;) {
    const len = buf.readUInt32BE(o);
    const type = buf.toString('latin1', o + 4, o + 8);
    if (type === 'IDAT') parts.push(buf.subarray(o + 8, Math.min(buf.length, o + 8 + len)));
    if (type === 'IEND') break;
    o += 12 + len;
  }
  return Buffer.concat(parts);
}

function megapixels(n: number): string {
  return `${(n / 1e6).toLocaleString('en-US', { maximumSignificantDigits: 3 })} megapixels`;
}

/** Reads and decodes an image file (a regular file of at most DATA_LIMITS.imageFileBytes). */
export function readImageFile(path: string): RawImage {
  let bytes: Buffer;
  try {
    bytes = readRegularFile(path, DATA_LIMITS.imageFileBytes, 'image file');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw code ? new Error(`${path}: cannot read (${code})`) : e;
  }
  return decodeImage(bytes, path);
}

/** Encodes 8-bit grayscale pixels as a PNG file's bytes. */
export function encodeGrayPng(pixels: Uint8Array, width: number, height: number): Buffer {
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  return PNG.sync.write(Object.assign(png, { data: Buffer.from(pixels) }), { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

/** Encodes 8-bit RGB pixels (interleaved, row-major) as a PNG file's bytes. */
export function encodeRgbPng(pixels: Uint8Array, width: number, height: number): Buffer {
  const png = new PNG({ width, height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  return PNG.sync.write(Object.assign(png, { data: Buffer.from(pixels) }), { colorType: 2, inputColorType: 2, inputHasAlpha: false });
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
