// Request bodies to model input: JSON `{"pixels": [784 numbers 0..255]}` is taken as the 28x28 image the
// model sees (white ink on black, as MNIST stores it; a model of another input shape takes h·w·c numbers,
// row-major, channels interleaved); PNG and JPEG bodies go to the decoding pool
// (decode-pool.ts), which preprocesses them as `digitnet predict` and the page do.
// Every failure is an HttpError whose message says what was wrong with the body.

/** An error with the status (and headers, such as Retry-After) that the API answers it with. */
export class HttpError extends Error {
  constructor(readonly statusCode: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/** Validates a parsed JSON body and returns its pixels scaled to 0..1; `shape` is the model's input [h, w, c]. */
export function pixelsFromJson(body: unknown, shape: readonly number[] = [28, 28, 1]): Float32Array {
  const [h, w, c] = shape;
  const PIXELS = h * w * c;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, `the JSON body must be an object {"pixels": [${PIXELS} numbers 0..255]}, got ${kind(body)}`);
  }
  const pixels = (body as { pixels?: unknown }).pixels;
  if (pixels === undefined) throw new HttpError(400, `the JSON body has no "pixels" field; send {"pixels": [${PIXELS} numbers 0..255]}`);
  if (!Array.isArray(pixels)) throw new HttpError(400, `"pixels" must be an array of ${PIXELS} numbers, got ${kind(pixels)}`);
  if (pixels.length !== PIXELS) {
    throw new HttpError(400, `"pixels" holds ${pixels.length} values; a ${h}x${w}${c > 1 ? `x${c}` : ''} image needs exactly ${PIXELS} (row-major, 0..255)`);
  }
  const out = new Float32Array(PIXELS);
  for (let i = 0; i < PIXELS; i++) {
    const v = pixels[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 255) {
      const p = Math.floor(i / c);
      throw new HttpError(400, `pixels[${i}] (row ${Math.floor(p / w)}, column ${p % w}${c > 1 ? `, channel ${i % c}` : ''}) is ${JSON.stringify(v)}; each pixel must be a number from 0 to 255`);
    }
    out[i] = v / 255;
  }
  return out;
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return typeof v === 'string' ? `a string` : `a ${typeof v}`;
}
