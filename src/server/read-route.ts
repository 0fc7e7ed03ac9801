// POST /api/read: the whole number written in a PNG or JPEG body (a photo of paper, a scan, a drawing),
// answered as read-answer.ts says. The image's header is checked against the server's limits here (`check`),
// so an oversized photo is refused before it takes a worker; decoding and reading run in the decoding pool
// (decode-pool.ts), whose workers hold their own copy of the served model, never on the event loop.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DecodePool } from './decode-pool.js';
import { HttpError } from './inputs.js';
import type { ReadAnswer } from './read-answer.js';

export type { ReadAnswer } from './read-answer.js';

/** Photos are larger than drawings: the largest body /api/read accepts, in bytes. */
export const READ_BODY_LIMIT = 12 * 1024 * 1024;
const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/jpg'];

/** Registers POST /api/read (and a 405 for its other methods). Needs the app's image content-type parser. */
export function registerReadRoute(app: FastifyInstance, pool: DecodePool, check?: (bytes: Buffer, type: string) => void): void {
  app.post('/api/read', { bodyLimit: READ_BODY_LIMIT }, async (req) => readBody(req, pool, check));
  app.route({ method: ['GET', 'PUT', 'DELETE', 'PATCH'], url: '/api/read', handler: async (req, reply) => {
    reply.header('allow', 'POST');
    throw new HttpError(405, `${req.method} /api/read: use POST with a PNG or JPEG image as the body`);
  } });
}

async function readBody(req: FastifyRequest, pool: DecodePool, check?: (bytes: Buffer, type: string) => void): Promise<ReadAnswer> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (!IMAGE_TYPES.includes(type) || !Buffer.isBuffer(req.body)) {
    throw new HttpError(type ? 415 : 400, type ? `/api/read takes image/png or image/jpeg, not '${type}'` : 'the request has no body; send a PNG or JPEG image');
  }
  if (req.body.length === 0) throw new HttpError(400, `the body is empty; send the ${type} image's bytes`);
  check?.(req.body, type);
  return pool.read(req.body, type);
}
