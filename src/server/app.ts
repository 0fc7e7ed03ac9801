// The HTTP app behind `digitnet serve`: the built page at `/`, the model's files at `/model/` (the page
// runs its own copy), the run's report at `/report/`, and the JSON API at `/api/`. Static files come only
// from their own folders (@fastify/static resolves and confines every path). Errors answer as
// `{"error": message}` with a 4xx status that names what was wrong; nothing a client sends crashes it.

import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WEIGHTS_FILE } from '../engine/io/artifacts.js';
import { HttpError, pixelsFromImage, pixelsFromJson } from './inputs.js';
import { registerReadRoute } from './read-route.js';
import { ServedModel } from './served-model.js';

export interface ServerOptions {
  /** A model folder (model.json + weights) or a run folder holding `model/`. */
  modelDir: string;
  /** The built page (dist/web). */
  staticDir: string;
  /** Largest request body accepted, in bytes (default 1 MB); larger ones get 413. */
  bodyLimit?: number;
  /** Fastify's logger (default off). */
  logger?: boolean;
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/jpg'];

/** Builds the app (not yet listening): call `.listen({port, host})` or `.inject()` on it. */
export async function createServer(o: ServerOptions): Promise<FastifyInstance> {
  if (!existsSync(join(o.staticDir, 'index.html'))) {
    throw new Error(`${o.staticDir}: the page is not built (no index.html); run \`npm run build:web\``);
  }
  const served = await ServedModel.load(o.modelDir);
  const app = Fastify({ bodyLimit: o.bodyLimit ?? DEFAULT_BODY_LIMIT, logger: o.logger ?? false });
  // Only JSON and images are bodies we understand; anything else gets 415 from the content-type check.
  app.removeContentTypeParser(['text/plain', 'application/json']);
  app.addContentTypeParser(IMAGE_TYPES, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJson);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: `${req.method} ${req.url.split('?')[0]}: no such page or API route` });
  });
  app.decorate('servedModel', served);
  registerApi(app, served);
  registerReadRoute(app, served.model);
  registerModelFiles(app, served);
  await app.register(fastifyStatic, { root: o.staticDir, prefix: '/', index: ['index.html'] });
  if (served.hasReport) {
    await app.register(fastifyStatic, { root: served.runDir!, prefix: '/report/', index: ['report.html'], decorateReply: false });
  }
  return app;
}

function registerApi(app: FastifyInstance, served: ServedModel): void {
  app.get('/api/model', async () => served.info);
  app.post('/api/predict', async (req) => served.predict(requestPixels(req)));
  app.route({ method: ['GET', 'PUT', 'DELETE', 'PATCH'], url: '/api/predict', handler: async (req, reply) => {
    reply.header('allow', 'POST');
    throw new HttpError(405, `${req.method} /api/predict: use POST with a PNG or JPEG body, or JSON {"pixels": [...]}`);
  } });
}

function requestPixels(req: FastifyRequest): Float32Array {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json') return pixelsFromJson(req.body);
  if (IMAGE_TYPES.includes(type) && Buffer.isBuffer(req.body)) return pixelsFromImage(req.body, type);
  // A POST without a body never reaches a content-type parser, so it lands here.
  throw new HttpError(type ? 415 : 400, type ? unsupportedType(type) : 'the request has no body; send a PNG or JPEG image, or JSON {"pixels": [784 numbers 0..255]}');
}

function unsupportedType(type: string): string {
  return `content type '${type}' is not supported; send image/png, image/jpeg or application/json {"pixels": [784 numbers 0..255]}`;
}

/** JSON.parse, with its own message (which says where the JSON breaks) passed on to the client. */
function parseJson(_req: FastifyRequest, text: string | Buffer, done: (err: Error | null, body?: unknown) => void): void {
  if (text.length === 0) {
    done(new HttpError(400, 'the body is empty but its content type is application/json; send {"pixels": [784 numbers 0..255]}'));
    return;
  }
  try {
    done(null, JSON.parse(text.toString()));
  } catch (e) {
    done(new HttpError(400, `the body is not valid JSON: ${(e as Error).message}`));
  }
}

/** model.json and its one weights file, exactly as the server's model was loaded. */
function registerModelFiles(app: FastifyInstance, served: ServedModel): void {
  app.get('/model/model.json', async (_req, reply) => {
    reply.header('cache-control', 'no-cache').type('application/json').send(served.modelJsonText);
  });
  app.get(`/model/${WEIGHTS_FILE}`, async (_req, reply) => {
    reply.header('cache-control', 'no-cache').type('application/octet-stream').send(served.weightBytes);
  });
}

function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const status = err.statusCode ?? 500;
  if (status >= 500) {
    req.log.error(err);
    reply.code(500).send({ error: `internal error while handling ${req.method} ${req.url}: ${err.message}` });
    return;
  }
  reply.code(status).send({ error: clientMessage(err, req) });
}

/** Fastify's own messages, reworded to say what to send instead. */
function clientMessage(err: FastifyError, req: FastifyRequest): string {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return unsupportedType((req.headers['content-type'] ?? '').split(';')[0].trim() || '(none)');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `the body is larger than the limit of ${req.routeOptions.bodyLimit ?? DEFAULT_BODY_LIMIT} bytes`;
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'the body is shorter or longer than its Content-Length header says';
    default:
      // 403 comes from the static files: a path that tries to leave the served folder.
      return err.statusCode === 403 ? `${req.url}: this path leads outside the served folder` : err.message;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    servedModel: ServedModel;
  }
}
