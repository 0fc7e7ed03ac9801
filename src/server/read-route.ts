// POST /api/read: the whole number written in a PNG or JPEG body (a photo of paper, a scan, a drawing),
// answered as {"number", "digits": [{"label", "confidence", "box"}], "width", "height"}; "number" is ""
// when the image holds no digit. The body is decoded by data/images.decodeImage and read by
// read/readNumber with the served model, both on the request's own thread; the image's header is checked
// against the server's limits first (`check`), so an oversized photo is refused before it is decoded.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { decodeImage } from '../data/images.js';
import { readNumber, type DigitModel } from '../read/index.js';
import { HttpError } from './inputs.js';

/** Photos are larger than drawings: the largest body /api/read accepts, in bytes. */
export const READ_BODY_LIMIT = 12 * 1024 * 1024;
const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/jpg'];

export interface ReadAnswer {
  number: string;
  digits: { label: number; confidence: number; box: { x: number; y: number; width: number; height: number } }[];
  width: number;
  height: number;
}

/** Registers POST /api/read (and a 405 for its other methods). Needs the app's image content-type parser. */
export function registerReadRoute(app: FastifyInstance, model: DigitModel, check?: (bytes: Buffer, type: string) => void): void {
  app.post('/api/read', { bodyLimit: READ_BODY_LIMIT }, async (req) => readBody(req, model, check));
  app.route({ method: ['GET', 'PUT', 'DELETE', 'PATCH'], url: '/api/read', handler: async (req, reply) => {
    reply.header('allow', 'POST');
    throw new HttpError(405, `${req.method} /api/read: use POST with a PNG or JPEG image as the body`);
  } });
}

function readBody(req: FastifyRequest, model: DigitModel, check?: (bytes: Buffer, type: string) => void): ReadAnswer {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (!IMAGE_TYPES.includes(type) || !Buffer.isBuffer(req.body)) {
    throw new HttpError(type ? 415 : 400, type ? `/api/read takes image/png or image/jpeg, not '${type}'` : 'the request has no body; send a PNG or JPEG image');
  }
  if (req.body.length === 0) throw new HttpError(400, `the body is empty; send the ${type} image's bytes`);
  check?.(req.body, type);
  let img: ReturnType<typeof decodeImage>;
  try {
    img = decodeImage(req.body);
  } catch (e) {
    throw new HttpError(400, `the body could not be decoded as an image (${type}): ${(e as Error).message}`);
  }
  const r = readNumber(img, model);
  const digits = r.digits.map((d) => ({ label: d.label, confidence: Number(d.confidence.toFixed(6)), box: d.box }));
  return { number: r.number, digits, width: img.width, height: img.height };
}
