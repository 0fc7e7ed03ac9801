// The HTTP app behind `digitnet serve`: the built page at `/`, the model's files at `/model/` (the page
// runs its own copy), the run's report at `/report/` (report.html and its figures, nothing else of the run
// folder), and the JSON API at `/api/`. Images are decoded in a worker pool and predictions batched in one
// inference worker, so the event loop only routes. Every error, Node's and Fastify's own included, answers
// `{"error": message}` with a status that says what was wrong; every response carries the security headers
// of security.ts. Slow requests time out, and close() ends the server within its grace period whatever is
// in flight.

import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { existsSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { imageHeader, type ImageHeader } from '../data/image-header.js';
import type { ImageLimits } from '../data/images.js';
import { DATA_LIMITS } from '../data/limits.js';
import { WEIGHTS_FILE } from '../engine/io/artifacts.js';
import { DecodePool } from './decode-pool.js';
import type { InferenceOptions } from './inference.js';
import { HttpError, pixelsFromJson } from './inputs.js';
import { optionsHeaders, securityHeaders } from './security.js';
import { explainDigit, registerExplainRoute } from './routes/explain.js';
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
  /** A request must arrive whole (headers and body) within this time, else 408 (default 10 s). */
  requestTimeoutMs?: number;
  /** Headers must arrive within this time (default 5 s). */
  headersTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this time (default 5 s). */
  keepAliveTimeoutMs?: number;
  /** How long close() lets requests in flight finish before it cuts their connections (default 2 s). */
  shutdownGraceMs?: number;
  /** The decoding pool: workers, queue length, per-image deadline, and the largest image accepted. */
  decode?: { workers?: number; queue?: number; taskTimeoutMs?: number; readTimeoutMs?: number; maxImagePixels?: number };
  inference?: InferenceOptions;
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** The largest image the API decodes: 16 megapixels (a 4096x4096 scan), from the header, before decoding. */
export const DEFAULT_MAX_IMAGE_PIXELS = 16_000_000;
const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/jpg'];

/** Builds the app (not yet listening): call `.listen({port, host})` or `.inject()` on it. */
export async function createServer(o: ServerOptions): Promise<FastifyInstance> {
  if (!existsSync(join(o.staticDir, 'index.html'))) {
    throw new Error(`${o.staticDir}: the page is not built (no index.html); run \`npm run build:web\``);
  }
  const served = await ServedModel.load(o.modelDir, o.inference);
  const pool = new DecodePool({
    workers: o.decode?.workers, queue: o.decode?.queue, taskTimeoutMs: o.decode?.taskTimeoutMs, readTimeoutMs: o.decode?.readTimeoutMs,
    limits: { pixels: o.decode?.maxImagePixels ?? DEFAULT_MAX_IMAGE_PIXELS, side: DATA_LIMITS.imageSide }, input: served.spec,
    model: { modelJson: JSON.parse(served.modelJsonText), weights: new Uint8Array(served.weightBytes).buffer },
  });
  const requestTimeout = o.requestTimeoutMs ?? 10_000;
  const app = Fastify({
    bodyLimit: o.bodyLimit ?? DEFAULT_BODY_LIMIT,
    logger: o.logger ?? false,
    requestTimeout,
    keepAliveTimeout: o.keepAliveTimeoutMs ?? 5_000,
    connectionTimeout: requestTimeout + 5_000,
    return503OnClosing: false,
    clientErrorHandler: (err, socket) => clientError(err, socket, requestTimeout),
    // Node checks request deadlines every connectionsCheckingInterval: often, so a slow body is cut on time.
    // Node checks the request deadline only once the headers deadline has passed: keep that one no later.
    http: { headersTimeout: Math.min(o.headersTimeoutMs ?? 5_000, requestTimeout), connectionsCheckingInterval: 250 } as object,
  });
  app.server.maxConnections = 1024;
  app.decorate('servedModel', served);
  app.decorate('decodePool', pool);
  addLifecycle(app, o.shutdownGraceMs ?? 2_000, async () => {
    await pool.close();
    await served.close();
  });
  // Only JSON and images are bodies we understand; anything else gets 415 from the content-type check.
  app.removeContentTypeParser(['text/plain', 'application/json']);
  app.addContentTypeParser(IMAGE_TYPES, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJson);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: `${req.method} ${req.url.split('?')[0]}: no such page or API route` });
  });
  registerApi(app, served, pool);
  registerReadRoute(app, pool, (bytes, type) => checkImageHeader(bytes, type, pool.limits));
  registerModelFiles(app, served);
  await app.register(fastifyStatic, { root: o.staticDir, prefix: '/', index: ['index.html'] });
  if (served.hasReport) {
    // The report and its figures only: run.json and the rest of the run folder hold the machine's paths.
    const allowed = (path: string): boolean => path === '/' || path === '/report.html' || /^\/figures\/[a-z-]+\.(svg|png)$/.test(path);
    await app.register(fastifyStatic, { root: served.runDir!, prefix: '/report/', index: ['report.html'], decorateReply: false, allowedPath: allowed });
  }
  return app;
}

/** Security headers on every reply, 503 once closing, OPTIONS, and a close() that ends within `graceMs`. */
function addLifecycle(app: FastifyInstance, graceMs: number, stopWorkers: () => Promise<void>): void {
  let closing = false;
  let cut: NodeJS.Timeout | null = null;
  app.addHook('onRequest', async (req, reply) => {
    reply.headers(securityHeaders(req.url));
    if (closing) {
      reply.header('connection', 'close').header('retry-after', '5');
      throw new HttpError(503, 'the server is shutting down');
    }
  });
  app.options('*', async (req, reply) => {
    reply.code(204).headers(optionsHeaders(req.url)).send();
  });
  app.addHook('preClose', async () => {
    closing = true;
    // Requests in flight get the grace period to finish; then their connections are cut.
    cut = setTimeout(() => app.server.closeAllConnections(), graceMs);
    cut.unref();
  });
  app.addHook('onClose', async () => {
    if (cut) clearTimeout(cut);
    await stopWorkers();
  });
}

function registerApi(app: FastifyInstance, served: ServedModel, pool: DecodePool): void {
  app.get('/api/model', async () => served.info);
  const shape = [served.spec.height, served.spec.width, served.spec.channels];
  app.post('/api/predict', async (req) => served.predict(await requestPixels(req, pool, shape)));
  // Explanations need a backward pass: they run on the served model here (a few milliseconds for the zoo's models).
  registerExplainRoute(app, { pixels: (req) => requestPixels(req, pool, shape), explain: (pixels, c) => explainDigit(served.model, pixels, c, served.spec.classNames) });
  const wrongMethod = (url: string, allow: string, use: string): void => {
    app.route({ method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'].filter((m) => !allow.includes(m)), url, handler: async (req, reply) => {
      reply.header('allow', allow);
      throw new HttpError(405, `${req.method} ${url}: ${use}`);
    } });
  };
  wrongMethod('/api/predict', 'POST, OPTIONS', 'use POST with a PNG or JPEG body, or JSON {"pixels": [...]}');
  wrongMethod('/api/model', 'GET, HEAD, OPTIONS', 'use GET');
}

async function requestPixels(req: FastifyRequest, pool: DecodePool, shape: number[]): Promise<Float32Array> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json') return pixelsFromJson(req.body, shape);
  if (IMAGE_TYPES.includes(type) && Buffer.isBuffer(req.body)) {
    if (req.body.length === 0) throw new HttpError(400, `the body is empty; send the ${type} image's bytes`);
    checkImageHeader(req.body, type, pool.limits);
    return pool.decode(req.body, type);
  }
  // A POST without a body never reaches a content-type parser, so it lands here.
  throw new HttpError(type ? 415 : 400, type ? unsupportedType(type) : 'the request has no body; send a PNG or JPEG image, or JSON {"pixels": [784 numbers 0..255]}');
}

/** Refuses an image from its header alone (not an image, or larger than the limits) before it takes a worker. */
function checkImageHeader(bytes: Buffer, type: string, limits: ImageLimits): void {
  let h: ImageHeader;
  try {
    h = imageHeader(bytes, 'the body');
  } catch (e) {
    throw new HttpError(400, `the body could not be decoded as an image (${type}): ${(e as Error).message.replace(/^the body: /, '')}`);
  }
  if (h.width * h.height > limits.pixels || Math.max(h.width, h.height) > limits.side) {
    const mp = (n: number): string => `${(n / 1e6).toLocaleString('en-US', { maximumSignificantDigits: 3 })} megapixels`;
    throw new HttpError(413, `the image is ${h.width}x${h.height} pixels (${mp(h.width * h.height)}); this server decodes at most ${mp(limits.pixels)} and ${limits.side.toLocaleString('en-US')} pixels a side`);
  }
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
  if (err instanceof HttpError) reply.headers(err.headers);
  if (status >= 500 && !(err instanceof HttpError)) {
    // The details go to the server's own output, not to the client: they may hold the machine's paths.
    process.stderr.write(`digitnet serve: internal error on ${req.method} ${req.url.split('?')[0]}: ${err.message.split('\n')[0]}\n`);
    reply.code(500).send({ error: `internal error while handling ${req.method} ${req.url.split('?')[0]}; the server's output has the details` });
    return;
  }
  reply.code(status).send({ error: oneLine(clientMessage(err, req)) });
}

/** A message as one printable line of at most 300 characters: what a client quoted back may hold anything. */
function oneLine(message: string): string {
  const s = message.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
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

/** Node's own refusals (malformed requests, headers too large, requests too slow) in the API's error shape. */
function clientError(err: NodeJS.ErrnoException, socket: Duplex, requestTimeoutMs: number): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? [408, `the request did not arrive whole within ${requestTimeoutMs / 1000} s; send the headers and body without pausing`]
    : err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the request headers are larger than the 16 KB limit']
      : [400, `malformed HTTP request (${err.code ?? 'parse error'}${(err as { reason?: string }).reason ? `: ${(err as { reason?: string }).reason}` : ''})`];
  const body = JSON.stringify({ error: message });
  const response = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !response?.headersSent) {
    const headers = { ...securityHeaders('/api/'), 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), connection: 'close' };
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`);
  }
  socket.destroy();
}

declare module 'fastify' {
  interface FastifyInstance {
    servedModel: ServedModel;
    decodePool: DecodePool;
  }
}
