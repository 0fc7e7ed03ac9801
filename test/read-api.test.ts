// POST /api/read over real loopback connections, with the shared trained fixture: a PNG number and a JPEG
// photo of one are read as readNumber reads them in-process, a blank photo is "" (not an error), a photo
// of several megapixels is shrunk and read, off the event loop (in the decoding pool), and every bad
// request (no body, an image type it does not take, bytes that are not an image, a body over the limit,
// GET) gets a 4xx that says what was wrong.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { decodeImage, encodeGrayPng, encodeJpeg } from '../src/data/images.js';
import { loadMnist } from '../src/data/mnist.js';
import { Random } from '../src/engine/index.js';
import { composeNumber, photograph, readNumber } from '../src/read/index.js';
import { createServer } from '../src/server/app.js';
import { READ_BODY_LIMIT } from '../src/server/read-route.js';
import { readFixture, type ReadFixture } from './helpers/read-fixture.js';
import { inverted, recognizedDigits } from './helpers/numbers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const staticDir = join(root, 'dist', 'web');
let fx: ReadFixture;
let app: FastifyInstance;
let url: string;

before(async () => {
  if (!existsSync(join(staticDir, 'index.html'))) {
    const { buildWeb } = (await import(join(root, 'scripts', 'build-web.mjs'))) as { buildWeb: (o: { quiet: boolean }) => Promise<number> };
    await buildWeb({ quiet: true });
  }
  fx = await readFixture();
  // The client shares this process's event loop with the server, and the images it makes between posts
  // block that loop for seconds: both sides' keep-alive timers then fire late, and undici can reuse a
  // connection in the same instant the server's overdue timer closes it (ECONNRESET). A long keep-alive
  // keeps that race out of these tests.
  app = await createServer({ modelDir: fx.runDir, staticDir, keepAliveTimeoutMs: 120_000 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  assert.ok(addr && typeof addr === 'object');
  url = `http://127.0.0.1:${addr.port}/api/read`;
});

after(async () => app?.close());

async function post(body: Uint8Array | string | null, type: string | null): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(url, { method: 'POST', body: body === null || typeof body === 'string' ? body : new Uint8Array(body), headers: type ? { 'content-type': type } : {} });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

test('a PNG number and a JPEG photo are read as readNumber reads them in-process', async () => {
  const sure = recognizedDigits(fx.model, loadMnist().test, 12, { sure: 0.99 });
  const n = composeNumber(sure.slice(0, 5), new Random(1), { gap: [0.25, 0.5] });
  const png = encodeGrayPng(inverted(n.image).data as Uint8Array, n.image.width, n.image.height);
  const photo = photograph(composeNumber(sure.slice(5, 9), new Random(2), { gap: [0.25, 0.5], digitHeight: 60 }), new Random(3));
  const jpg = encodeJpeg(photo.image, 75);
  for (const [body, type, text] of [[png, 'image/png', n.text], [jpg, 'image/jpeg', photo.text]] as const) {
    const r = await post(body, type);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const local = readNumber(decodeImage(body), fx.model);
    assert.equal(r.json.number, text, type);
    assert.equal(r.json.number, local.number);
    const digits = r.json.digits as { label: number; confidence: number; box: unknown }[];
    assert.deepEqual(digits.map((d) => d.box), local.digits.map((d) => d.box));
    digits.forEach((d, i) => assert.ok(Math.abs(d.confidence - local.digits[i].confidence) < 1e-5));
    const img = decodeImage(body);
    assert.deepEqual([r.json.width, r.json.height], [img.width, img.height]);
  }
});

test('a blank photo is "", and a photo of several megapixels is shrunk and read', async () => {
  const blank = photograph({ image: { data: new Uint8Array(300 * 100), width: 300, height: 100, channels: 1 }, text: '', labels: [], boxes: [], touching: 0 }, new Random(4));
  const r = await post(encodeJpeg(blank.image, 80), 'image/jpeg');
  assert.equal(r.status, 200);
  assert.deepEqual({ number: r.json.number, digits: r.json.digits }, { number: '', digits: [] });
  const sure = recognizedDigits(fx.model, loadMnist().test, 30, { sure: 0.99 });
  const n = composeNumber(sure.slice(20, 23), new Random(5), { gap: [0.3, 0.5], digitHeight: 1100, margin: 0.4 });
  const big = inverted(n.image);
  const jpg = encodeJpeg(big, 60);
  assert.ok(big.width * big.height > 4e6 && jpg.length < READ_BODY_LIMIT, `${big.width}x${big.height}, ${jpg.length} bytes`);
  const t0 = performance.now();
  const huge = await post(jpg, 'image/jpeg');
  assert.equal(huge.status, 200, JSON.stringify(huge.json));
  assert.equal(huge.json.number, n.text);
  assert.ok(performance.now() - t0 < 30000);
});

test('reading runs off the event loop: while a 4-megapixel photo is read, the loop never stalls for long', async () => {
  const sure = recognizedDigits(fx.model, loadMnist().test, 30, { sure: 0.99 });
  const n = composeNumber(sure.slice(23, 26), new Random(6), { gap: [0.3, 0.5], digitHeight: 1100, margin: 0.4 });
  const jpg = encodeJpeg(inverted(n.image), 60);
  const stalls = monitorEventLoopDelay({ resolution: 10 });
  stalls.enable();
  const t0 = performance.now();
  const r = await post(jpg, 'image/jpeg');
  const took = performance.now() - t0;
  stalls.disable();
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.number, n.text);
  // Read on the event loop, the whole read was one stall (about its duration); in a worker, the loop only
  // receives the body and the answer.
  const worst = stalls.max / 1e6;
  assert.ok(worst < Math.max(150, took / 4), `the event loop stalled for ${worst.toFixed(0)} ms during a ${took.toFixed(0)} ms read`);
});

test('bad requests get a 4xx that says what was wrong', async () => {
  const cases: [Uint8Array | string | null, string | null, number, RegExp][] = [
    [null, null, 400, /no body; send a PNG or JPEG image/],
    [new Uint8Array(0), 'image/png', 400, /the body is empty/],
    [new TextEncoder().encode('not an image at all'), 'image/png', 400, /could not be decoded as an image \(image\/png\): not a PNG or JPEG image \(it starts with text: "not an image at all"\)/],
    [JSON.stringify({ pixels: [1, 2, 3] }), 'application/json', 415, /\/api\/read takes image\/png or image\/jpeg, not 'application\/json'/],
    ['hello', 'text/plain', 415, /content type 'text\/plain' is not supported/],
    [new Uint8Array(READ_BODY_LIMIT + 1), 'image/jpeg', 413, /larger than the limit of 12582912 bytes/],
  ];
  for (const [body, type, status, message] of cases) {
    const r = await post(body, type);
    assert.equal(r.status, status, `${type}: ${JSON.stringify(r.json)}`);
    assert.match(String(r.json.error), message);
  }
  const get = await fetch(url);
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');
  assert.match(((await get.json()) as { error: string }).error, /GET \/api\/read: use POST with a PNG or JPEG image/);
});
