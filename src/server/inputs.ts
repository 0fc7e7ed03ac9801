// Request bodies to model input: JSON `{"pixels": [784 numbers 0..255]}` is taken as the 28x28 image the
// model sees (white ink on black, as MNIST stores it); a PNG or JPEG goes through the same preprocessing
// as `digitnet predict` and the page (crop to the ink, fit 20x20, centre by mass in 28x28).
// Every failure is an HttpError whose message says what was wrong with the body.

import { decodeImage } from '../data/images.js';
import { toMnist } from '../data/preprocess.js';

export class HttpError extends Error {
  constructor(readonly statusCode: number, message: string) {
    super(message);
  }
}

const PIXELS = 28 * 28;

/** Validates a parsed JSON body and returns its pixels scaled to 0..1. */
export function pixelsFromJson(body: unknown): Float32Array {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, `the JSON body must be an object {"pixels": [${PIXELS} numbers 0..255]}, got ${kind(body)}`);
  }
  const pixels = (body as { pixels?: unknown }).pixels;
  if (pixels === undefined) throw new HttpError(400, `the JSON body has no "pixels" field; send {"pixels": [${PIXELS} numbers 0..255]}`);
  if (!Array.isArray(pixels)) throw new HttpError(400, `"pixels" must be an array of ${PIXELS} numbers, got ${kind(pixels)}`);
  if (pixels.length !== PIXELS) {
    throw new HttpError(400, `"pixels" holds ${pixels.length} values; a 28x28 image needs exactly ${PIXELS} (row-major, 0..255)`);
  }
  const out = new Float32Array(PIXELS);
  for (let i = 0; i < PIXELS; i++) {
    const v = pixels[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 255) {
      throw new HttpError(400, `pixels[${i}] (row ${Math.floor(i / 28)}, column ${i % 28}) is ${JSON.stringify(v)}; each pixel must be a number from 0 to 255`);
    }
    out[i] = v / 255;
  }
  return out;
}

/** Decodes PNG or JPEG bytes and preprocesses them as `digitnet predict` does. */
export function pixelsFromImage(bytes: Buffer, contentType: string): Float32Array {
  if (bytes.length === 0) throw new HttpError(400, `the body is empty; send the ${contentType} image's bytes`);
  let img: ReturnType<typeof decodeImage>;
  try {
    img = decodeImage(bytes);
  } catch (e) {
    throw new HttpError(400, `the body could not be decoded as an image (${contentType}): ${(e as Error).message}`);
  }
  const { pixels, empty } = toMnist(img, { invert: 'auto' });
  if (empty) throw new HttpError(400, `the ${img.width}x${img.height} image is blank: no ink stands out from its background`);
  return pixels;
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return typeof v === 'string' ? `a string` : `a ${typeof v}`;
}
