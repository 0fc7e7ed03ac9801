// The server against hostile and careless clients: decompression bombs refused from their header (413)
// while JSON clients are served, a full decoding queue answered 503 with Retry-After, a decode past its
// deadline stopped, slow bodies and headers timed out with 408, Node's own refusals (400, 431) in the API's
// error shape, a close() and a SIGTERM that end within their grace period whatever is in flight, OPTIONS
// and CORS, the security headers and per-route Content-Security-Policy on every kind of response, nothing
// of the run folder but the report and its figures, and no absolute path in anything served. Concurrent
// predictions are batched by the one inference worker and give the in-process model's answers.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { encodeGrayPng } from '../src/data/images.js';
import { loadMnist } from '../src/data/mnist.js';
import { createServer, type ServerOptions } from '../src/server/app.js';
import { NONE_CSP, PAGE_CSP, REPORT_CSP } from '../src/server/security.js';
import { Tensor } from '../src/engine/tensor.js';
import { pngBomb } from './helpers/bombs.js';
import { listen, rawExchange } from './helpers/http.js';
import type { FixtureRun } from './helpers/server-fixture.js';
import { copyFixtureRun } from './helpers/shared-fixture.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const staticDir = join(root, 'dist', 'web');
const MAIN = join(root, 'dist', 'src', 'cli', 'main.js');
const mnist = loadMnist();
const digit = (i: number): number[] => Array.from(mnist.test.images.subarray(i * 784, (i + 1) * 784));
const jsonBody = (i: number): string => JSON.stringify({ pixels: digit(i) });

let tmp: string;
let fixture: FixtureRun;
/** A 4000x4000 scan (16 megapixels, under the limit): slow enough to keep a decoding worker busy. */
let slowPng: Buffer;
const apps: FastifyInstance[] = [];

async function server(o: Partial<ServerOptions> = {}): Promise<{ app: FastifyInstance; base: string; port: number }> {
  const app = await createServer({ modelDir: fixture.runDir, staticDir, ...o });
  apps.push(app);
  return { app, ...(await listen(app)) };
}

async function post(base: string, body: string | Buffer, type: string): Promise<{ status: number; json: Record<string, unknown>; headers: Headers; at: number }> {
  const r = await fetch(`${base}/api/predict`, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : new Uint8Array(body) });
  return { status: r.status, json: (await r.json()) as Record<string, unknown>, headers: r.headers, at: performance.now() };
}

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'digitnet-hardening-'));
  fixture = await copyFixtureRun(join(tmp, 'run'));
  const side = 4000;
  const gray = new Uint8Array(side * side).fill(235);
  for (let y = 1000; y < 3000; y++) gray.fill(20, y * side + 1800, y * side + 2200); // a thick "1"
  slowPng = encodeGrayPng(gray, side, side);
});

after(async () => {
  for (const a of apps) await a.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('images that cost more than they should', () => {
  test('a 69-byte PNG declaring 30000x30000 pixels gets 413 at once, while JSON clients are answered', async () => {
    const { base } = await server();
    const bomb = pngBomb(30000, 30000, 0);
    assert.ok(bomb.length < 80, `${bomb.length} bytes`);
    const bombs = Array.from({ length: 40 }, () => post(base, bomb, 'image/png'));
    const jsons = Array.from({ length: 20 }, (_, i) => post(base, jsonBody(i), 'application/json'));
    for (const r of await Promise.all(bombs)) {
      assert.equal(r.status, 413);
      assert.equal(r.json.error, 'the image is 30000x30000 pixels (900 megapixels); this server decodes at most 16 megapixels and 65,535 pixels a side');
    }
    for (const r of await Promise.all(jsons)) assert.equal(r.status, 200, JSON.stringify(r.json));
  });

  test('a full decoding queue answers 503 with Retry-After, and JSON requests overtake the images being decoded', async () => {
    const { app, base } = await server({ decode: { workers: 1, queue: 1 } });
    const images = Array.from({ length: 5 }, () => post(base, slowPng, 'image/png'));
    await new Promise((r) => setTimeout(r, 50));
    const json = await post(base, jsonBody(3), 'application/json');
    const answers = await Promise.all(images);
    const busy = answers.filter((a) => a.status === 503);
    const decoded = answers.filter((a) => a.status === 200);
    assert.equal(decoded.length, 2, 'one decoding, one waiting');
    assert.equal(busy.length, 3, 'the rest refused at once');
    for (const b of busy) {
      assert.equal(b.headers.get('retry-after'), '1');
      assert.match(String(b.json.error), /^the server is busy decoding images \(1 at work, 1 waiting\); try again in a second$/);
    }
    assert.equal(json.status, 200);
    assert.ok(json.at < Math.min(...decoded.map((d) => d.at)), 'the JSON answer came before either image was decoded');
    assert.equal(decoded[0].json.label, 1);
    assert.equal(app.decodePool.queued, 0);
  });

  test('a decode that runs past its deadline is stopped with 413, and its worker replaced', async () => {
    const { base } = await server({ decode: { workers: 1, taskTimeoutMs: 100 } });
    const slow = await post(base, slowPng, 'image/png');
    assert.equal(slow.status, 413);
    assert.match(String(slow.json.error), /^the image took more than 0\.1 s to decode; send a smaller image$/);
    const small = encodeGrayPng(new Uint8Array(28 * 28).map((_, i) => (i % 28 > 12 && i % 28 < 16 ? 255 : 0)), 28, 28);
    const again = await post(base, small, 'image/png');
    assert.equal(again.status, 200, JSON.stringify(again.json));
  });
});

describe('slow and malformed requests', () => {
  test('a body that stops arriving gets 408 in the API error shape once the request deadline passes', async () => {
    const { port } = await server({ requestTimeoutMs: 800 });
    const r = await rawExchange(port, ['POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"pixels": [1,'], { timeoutMs: 8000 });
    assert.equal(r.status, 408, r.body);
    assert.deepEqual(JSON.parse(r.body), { error: 'the request did not arrive whole within 0.8 s; send the headers and body without pausing' });
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.ok(r.ms < 5000, `answered after ${r.ms} ms`);
  });

  test('headers dripped one line at a time get 408 once the headers deadline passes', async () => {
    const { port } = await server({ headersTimeoutMs: 600, requestTimeoutMs: 2000 });
    const lines = ['GET /api/model HTTP/1.1\r\n', ...Array.from({ length: 40 }, (_, i) => `X-Drip-${i}: ${i}\r\n`)];
    const r = await rawExchange(port, lines, { gapMs: 100, timeoutMs: 8000 });
    assert.equal(r.status, 408, r.body);
    assert.match(JSON.parse(r.body).error, /did not arrive whole/);
  });

  test("Node's own refusals use the API's error shape: a malformed request line (400) and headers too large (431)", async () => {
    const { port } = await server();
    const bad = await rawExchange(port, ['NOT HTTP AT ALL\r\n\r\n']);
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).error, /^malformed HTTP request \(HPE_/);
    assert.equal(bad.headers['content-security-policy'], NONE_CSP);
    const big = await rawExchange(port, [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`]);
    assert.equal(big.status, 431);
    assert.deepEqual(JSON.parse(big.body), { error: 'the request headers are larger than the 16 KB limit' });
  });

  test('close() ends the server within its grace period while a body is still arriving', { timeout: 10_000 }, async () => {
    const { app, port } = await server({ shutdownGraceMs: 300, requestTimeoutMs: 60_000 });
    const hanging = rawExchange(port, ['POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n', Buffer.alloc(10)], { timeoutMs: 9000 });
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    await app.close();
    const seconds = (performance.now() - t0) / 1000;
    assert.ok(seconds < 3, `close took ${seconds.toFixed(2)} s`);
    const r = await hanging;
    assert.ok(r.socket.destroyed, 'the hanging connection was cut');
  });

  test('SIGTERM ends `digitnet serve` within a few seconds while a slow upload is in flight', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, [MAIN, 'serve', '--model', fixture.runDir, '--port', '0'], { env: { ...process.env, DIGITNET_QUIET: '1' } });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    for (let i = 0; i < 300 && !/Open http:\/\/127\.0\.0\.1:\d+\//.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    const port = Number(/127\.0\.0\.1:(\d+)\//.exec(out)?.[1]);
    assert.ok(port > 0, out);
    const hanging = rawExchange(port, ['POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n', Buffer.alloc(10)], { timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    const seconds = (performance.now() - t0) / 1000;
    assert.equal(code, 0, out);
    assert.ok(seconds < 5, `it took ${seconds.toFixed(1)} s to stop`);
    assert.match(out, /SIGTERM: stopping/);
    await hanging;
  });
});

describe('headers, CORS and what is served', () => {
  let base: string;
  let port: number;
  before(async () => {
    ({ base, port } = await server());
  });

  test('OPTIONS is answered deliberately: the API allows cross-origin calls, the rest of the site does not', async () => {
    const pre = await fetch(`${base}/api/predict`, { method: 'OPTIONS', headers: { origin: 'https://example.org', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('allow'), 'POST, OPTIONS');
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.equal(pre.headers.get('access-control-allow-methods'), 'POST, OPTIONS');
    assert.equal(pre.headers.get('access-control-allow-headers'), 'content-type');
    const page = await fetch(`${base}/`, { method: 'OPTIONS' });
    assert.equal(page.status, 204);
    assert.equal(page.headers.get('allow'), 'GET, HEAD, OPTIONS');
    assert.equal(page.headers.get('access-control-allow-origin'), null);
    const cross = await fetch(`${base}/api/predict`, { method: 'POST', headers: { origin: 'https://example.org', 'content-type': 'application/json' }, body: jsonBody(0) });
    assert.equal(cross.headers.get('access-control-allow-origin'), '*');
    const wrong = await fetch(`${base}/api/model`, { method: 'DELETE' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'GET, HEAD, OPTIONS');
    assert.match(((await wrong.json()) as { error: string }).error, /^DELETE \/api\/model: use GET$/);
  });

  test('every kind of response carries the security headers, with the Content-Security-Policy of its route', async () => {
    const cases: [string, RequestInit, number, string][] = [
      ['/', {}, 200, PAGE_CSP], ['/main.js', {}, 200, PAGE_CSP], ['/style.css', {}, 200, PAGE_CSP],
      ['/api/model', {}, 200, NONE_CSP], ['/model/model.json', {}, 200, NONE_CSP], ['/model/weights.bin', {}, 200, NONE_CSP],
      ['/report/', {}, 200, REPORT_CSP], ['/report/figures/confusion.png', {}, 200, NONE_CSP],
      ['/nowhere', {}, 404, PAGE_CSP], ['/api/predict', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }, 415, NONE_CSP],
      ['/api/predict', { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(2 << 20) }, 413, NONE_CSP],
    ];
    for (const [path, init, status, csp] of cases) {
      const r = await fetch(`${base}${path}`, init);
      assert.equal(r.status, status, path);
      assert.equal(r.headers.get('content-security-policy'), csp, path);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(r.headers.get('x-frame-options'), 'DENY', path);
      assert.equal(r.headers.get('referrer-policy'), 'no-referrer', path);
      if (status >= 400) assert.deepEqual(Object.keys((await r.json()) as object), ['error'], `${path}: the one error shape`);
    }
  });

  test('the report is served, the rest of the run folder is not, and nothing served holds an absolute path', async () => {
    for (const f of ['run.json', 'metrics.json', 'history.json', 'samples.json', 'model/model.json', 'figures/../run.json', 'figures/%2e%2e/run.json']) {
      const r = await rawExchange(port, [`GET /report/${f} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`]);
      assert.ok(r.status === 404 || r.status === 403, `/report/${f}: ${r.status}`);
      assert.doesNotMatch(r.body, /"hyperparameters"|"confusionMatrix"|"trainSource"/, `/report/${f} served a run file`);
    }
    const paths = ['/', '/main.js', '/main.js.map', '/style.css', '/api/model', '/model/model.json', '/report/', '/report/figures/loss.svg', '/nowhere/at/all'];
    const machine = [tmp, fixture.runDir, root, process.cwd(), tmpdir()];
    for (const p of paths) {
      const body = await (await fetch(`${base}${p}`)).text();
      for (const m of machine) assert.ok(!body.includes(m), `${p} holds the path ${m}`);
    }
  });
});

describe('batching', () => {
  test('concurrent predictions run as batches in the one inference worker and match the model run in-process', async () => {
    const { app, base } = await server({ inference: { windowMs: 2 } });
    const n = 48;
    const answers = await Promise.all(Array.from({ length: n }, (_, i) => post(base, jsonBody(i), 'application/json')));
    const batches = app.servedModel.batchSizes;
    assert.equal(batches.reduce((a, b) => a + b, 0), n, 'every request in exactly one batch');
    assert.ok(Math.max(...batches) > 1, `batch sizes ${batches.join(',')}`);
    answers.forEach((a, i) => {
      const want = fixture.model.predict(new Tensor(Float32Array.from(digit(i), (v) => v / 255), [1, 28, 28, 1])).data;
      (a.json.probabilities as number[]).forEach((p, k) => assert.ok(Math.abs(p - want[k]) < 1e-5, `request ${i}, class ${k}: ${p} vs ${want[k]}`));
    });
  });
});
