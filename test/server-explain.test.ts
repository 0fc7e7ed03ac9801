// POST /api/explain on the served trained fixture: the same answer as /api/predict, with the saliency and
// Grad-CAM that explain() computes in-process for the same pixels; PNG bodies through the same preprocessing;
// ?class=N; and errors that say what to send.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { encodeGrayPng } from '../src/data/images.js';
import { loadMnist } from '../src/data/mnist.js';
import { Tensor } from '../src/engine/index.js';
import { explain } from '../src/explain/explain.js';
import { createServer } from '../src/server/app.js';
import type { ExplainResponse } from '../src/server/routes/explain.js';
import { sharedFixtureRun, type SharedRun } from './helpers/trained-fixture.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const staticDir = join(root, 'dist', 'web');
const mnist = loadMnist();
let tmp: string;
let fx: SharedRun;
let app: FastifyInstance;

before(async () => {
  if (!existsSync(join(staticDir, 'index.html'))) {
    const { buildWeb } = (await import(join(root, 'scripts', 'build-web.mjs'))) as { buildWeb: (o: { quiet: boolean }) => Promise<number> };
    await buildWeb({ quiet: true });
  }
  tmp = mkdtempSync(join(tmpdir(), 'digitnet-server-explain-'));
  fx = await sharedFixtureRun(join(tmp, 'run'));
  app = await createServer({ modelDir: fx.runDir, staticDir });
});
after(async () => {
  await app?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const pixelsOf = (i: number): number[] => Array.from(mnist.test.images.subarray(i * 784, (i + 1) * 784));

async function post(url: string, pixels: number[]): Promise<{ status: number; body: ExplainResponse & { error?: string } }> {
  const r = await app.inject({ method: 'POST', url, payload: { pixels } });
  return { status: r.statusCode, body: r.json() };
}

test('the prediction of /api/predict, with the saliency and Grad-CAM explain() gives for the same pixels', async () => {
  for (const i of [0, 1, 2]) {
    const px = pixelsOf(i);
    const { status, body } = await post('/api/explain', px);
    assert.equal(status, 200);
    const predicted = (await app.inject({ method: 'POST', url: '/api/predict', payload: { pixels: px } })).json() as { label: number; probabilities: number[] };
    assert.equal(body.label, predicted.label);
    assert.equal(body.explained, body.label);
    assert.deepEqual(body.probabilities, predicted.probabilities);
    assert.deepEqual(body.top.map((c) => c.index), [...predicted.probabilities.keys()].sort((a, b) => predicted.probabilities[b] - predicted.probabilities[a]).slice(0, 3));
    const [e] = explain(fx.model, new Tensor(Float32Array.from(px, (v) => v / 255), [1, 28, 28, 1]));
    assert.equal(body.saliency.length, 784);
    assert.equal(Math.max(...body.saliency), 1);
    const scale = Math.max(...e.saliency);
    assert.ok(Math.abs(body.saliencyScale - scale) <= 1e-6 * scale);
    body.saliency.forEach((v, p) => assert.ok(Math.abs(v - e.saliency[p] / scale) <= 1e-4, `saliency at ${p}`));
    assert.equal(body.gradCam!.layer, 'conv2d_1');
    assert.equal(body.gradCam!.heatmap.length, 784);
    body.gradCam!.heatmap.forEach((v, p) => assert.ok(Math.abs(v - e.gradCam!.heatmap[p]) <= 1e-4, `Grad-CAM at ${p}`));
    assert.equal(body.gradCam!.empty, e.gradCam!.map.every((v) => v === 0));
  }
});

test('a PNG body goes through the same preprocessing as /api/predict; ?class=N explains another class', async () => {
  const png = encodeGrayPng(Uint8Array.from(pixelsOf(0)), 28, 28);
  const r = await app.inject({ method: 'POST', url: '/api/explain', headers: { 'content-type': 'image/png' }, payload: png });
  assert.equal(r.statusCode, 200, r.body);
  const p = await app.inject({ method: 'POST', url: '/api/predict', headers: { 'content-type': 'image/png' }, payload: png });
  assert.deepEqual((r.json() as ExplainResponse).probabilities, (p.json() as { probabilities: number[] }).probabilities);
  const other = await post('/api/explain?class=3', pixelsOf(0));
  assert.equal(other.status, 200);
  assert.equal(other.body.explained, 3);
  assert.equal(other.body.label, 7);
  const [e] = explain(fx.model, new Tensor(Float32Array.from(pixelsOf(0), (v) => v / 255), [1, 28, 28, 1]), { classIndex: 3 });
  assert.ok(Math.abs(other.body.saliencyScale - Math.max(...e.saliency)) < 1e-6);
});

test('errors say what to send', async () => {
  const short = await post('/api/explain', [1, 2, 3]);
  assert.equal(short.status, 400);
  assert.match(short.body.error!, /"pixels" holds 3 values; a 28x28 image needs exactly 784/);
  const badClass = await post('/api/explain?class=12', pixelsOf(0));
  assert.equal(badClass.status, 400);
  assert.equal(badClass.body.error, "class 12 is not one of the model's classes 0..9");
  const word = await post('/api/explain?class=seven', pixelsOf(0));
  assert.equal(word.status, 400);
  assert.match(word.body.error!, /^\?class=seven: give the index of a class/);
  const get = await app.inject({ method: 'GET', url: '/api/explain' });
  assert.equal(get.statusCode, 405);
  assert.equal(get.headers.allow, 'POST');
});
