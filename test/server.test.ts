// The HTTP server, over real loopback connections: the API's answers match the model run in-process,
// images go through the same preprocessing as `digitnet predict`, every bad request gets a 4xx that says
// what was wrong, static files never come from outside their folders, and a bounded load test on
// POST /api/predict has no failed request.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { formatLoad, loadTest } from '../bench/load.js';
import { decodeImage, encodeGrayPng } from '../src/data/images.js';
import { loadMnist } from '../src/data/mnist.js';
import { toMnist } from '../src/data/preprocess.js';
import { modelFromArtifacts } from '../src/engine/io/artifacts.js';
import { Tensor } from '../src/engine/tensor.js';
import { serve } from '../src/cli/commands/serve.js';
import { createServer } from '../src/server/app.js';
import { encodeGrayJpeg, scanOf, type FixtureRun } from './helpers/server-fixture.js';
import { copyFixtureRun } from './helpers/shared-fixture.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const staticDir = join(root, 'dist', 'web');
const mnist = loadMnist();
const testDigit = (i: number): Uint8Array => mnist.test.images.subarray(i * 784, (i + 1) * 784);

/** A small scan of a test digit, whole or cut short, for the error cases. */
const smallScan = scanOf(testDigit(0), { width: 64, height: 64, scale: 2, x: 4, y: 4 });
const png = encodeGrayPng(smallScan.data, smallScan.width, smallScan.height);

let tmp: string;
let fixture: FixtureRun;
let app: FastifyInstance;
let base: string;

async function listen(a: FastifyInstance): Promise<string> {
  await a.listen({ port: 0, host: '127.0.0.1' });
  const addr = a.server.address();
  assert.ok(addr && typeof addr === 'object');
  return `http://127.0.0.1:${addr.port}`;
}

type Body = string | Uint8Array | null;

async function post(body: Body, type: string | null, url = `${base}/api/predict`): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = type ? { 'content-type': type } : {};
  const r = await fetch(url, { method: 'POST', body: body === null || typeof body === 'string' ? body : new Uint8Array(body), headers });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

/** The in-process model's probabilities for 784 pixels of 0..1. */
function localPredict(pixels: Float32Array): Float32Array {
  return fixture.model.predict(new Tensor(pixels, [1, 28, 28, 1])).data;
}

function assertSameProbabilities(got: unknown, want: Float32Array, what: string): void {
  assert.ok(Array.isArray(got) && got.length === 10, `${what}: probabilities must be 10 numbers, got ${JSON.stringify(got)}`);
  got.forEach((p, i) => assert.ok(Math.abs((p as number) - want[i]) < 1e-5, `${what}: class ${i}: API ${p}, in-process ${want[i]}`));
}

before(async () => {
  if (!existsSync(join(staticDir, 'index.html'))) {
    const { buildWeb } = (await import(join(root, 'scripts', 'build-web.mjs'))) as { buildWeb: (o: { quiet: boolean }) => Promise<number> };
    await buildWeb({ quiet: true });
  }
  tmp = await mkdtemp(join(tmpdir(), 'digitnet-server-'));
  fixture = await copyFixtureRun(join(tmp, 'run'));
  // A file beside the served folders that no URL may reach.
  await writeFile(join(tmp, 'secret.txt'), 'SECRET-CONTENTS');
  app = await createServer({ modelDir: fixture.runDir, staticDir });
  base = await listen(app);
});

after(async () => {
  await app?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('GET /api/model', () => {
  test('describes the served model: architecture, parameters and its measured test accuracy', async () => {
    const r = await fetch(`${base}/api/model`);
    assert.equal(r.status, 200);
    const info = (await r.json()) as Record<string, unknown>;
    assert.equal(info.name, 'fixture_cnn');
    assert.equal(info.totalParams, fixture.model.params.length);
    assert.deepEqual(info.inputShape, [28, 28, 1]);
    assert.equal(info.classes, 10);
    const layers = info.layers as { className: string; params: number }[];
    assert.deepEqual(layers.map((l) => l.className), ['Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dense']);
    assert.equal(layers.reduce((s, l) => s + l.params, 0), fixture.model.params.length);
    assert.equal(info.testAccuracy, fixture.testAccuracy);
    assert.equal(info.testExamples, 2000);
    assert.equal(info.run, 'run', 'the run is named, not its path on the server');
  });
});

describe('POST /api/predict', () => {
  test('JSON pixels: the same probabilities as the model in-process, and right on most MNIST test digits', async () => {
    let correct = 0;
    const n = 60;
    for (let i = 0; i < n; i++) {
      const img = testDigit(i);
      const { status, json } = await post(JSON.stringify({ pixels: Array.from(img) }), 'application/json');
      assert.equal(status, 200, JSON.stringify(json));
      const want = localPredict(Float32Array.from(img, (v) => v / 255));
      assertSameProbabilities(json.probabilities, want, `test image ${i}`);
      assert.equal(json.label, new Tensor(want, [1, 10]).argMax()[0]);
      if (json.label === mnist.test.labels[i]) correct++;
    }
    assert.ok(correct / n >= 0.85, `${correct}/${n} test digits right`);
  });

  test('a PNG or JPEG scan is preprocessed as digitnet predict does: cropped, inverted, centred', async () => {
    let correct = 0;
    const n = 30;
    for (let i = 0; i < n; i++) {
      const scan = scanOf(testDigit(i), { width: 200, height: 150, scale: 4, x: 20 + (i % 5) * 15, y: 10 + (i % 3) * 8 });
      const png = encodeGrayPng(scan.data, scan.width, scan.height);
      const jpg = encodeGrayJpeg(scan);
      for (const [bytes, type] of [[png, 'image/png'], [jpg, 'image/jpeg']] as const) {
        const { status, json } = await post(bytes, type);
        assert.equal(status, 200, `${type} ${i}: ${JSON.stringify(json)}`);
        assertSameProbabilities(json.probabilities, localPredict(toMnist(decodeImage(bytes)).pixels), `${type} scan of test image ${i}`);
        if (json.label === mnist.test.labels[i]) correct++;
      }
    }
    assert.ok(correct / (2 * n) >= 0.8, `${correct}/${2 * n} scans right`);
  });

  // Every malformed request: the status, and words the message must hold so the client knows what to fix.
  const badRequests: { name: string; body: Body; type: string | null; status: number; says: RegExp }[] = [
    { name: 'text/plain body', body: 'seven', type: 'text/plain', status: 415, says: /'text\/plain' is not supported.*image\/png/ },
    { name: 'form body', body: 'a=1', type: 'application/x-www-form-urlencoded', status: 415, says: /not supported/ },
    { name: 'GIF content type', body: 'GIF89a', type: 'image/gif', status: 415, says: /'image\/gif' is not supported/ },
    { name: 'no body at all', body: null, type: null, status: 400, says: /no body/ },
    { name: 'malformed JSON', body: '{"pixels": [1, 2,', type: 'application/json', status: 400, says: /not valid JSON/ },
    { name: 'empty JSON body', body: '', type: 'application/json', status: 400, says: /empty/ },
    { name: 'JSON that is not an object', body: '[1,2,3]', type: 'application/json', status: 400, says: /must be an object/ },
    { name: 'JSON without pixels', body: '{"image": []}', type: 'application/json', status: 400, says: /no "pixels" field/ },
    { name: 'pixels not an array', body: '{"pixels": "abc"}', type: 'application/json', status: 400, says: /must be an array of 784/ },
    { name: 'too few pixels', body: JSON.stringify({ pixels: new Array(100).fill(0) }), type: 'application/json', status: 400, says: /holds 100 values.*exactly 784/ },
    { name: 'too many pixels', body: JSON.stringify({ pixels: new Array(785).fill(0) }), type: 'application/json', status: 400, says: /holds 785 values/ },
    { name: 'pixel above 255', body: JSON.stringify({ pixels: Object.assign(new Array(784).fill(0), { 30: 300 }) }), type: 'application/json', status: 400, says: /pixels\[30\] \(row 1, column 2\) is 300/ },
    { name: 'pixel not a number', body: JSON.stringify({ pixels: Object.assign(new Array(784).fill(0), { 5: 'x' }) }), type: 'application/json', status: 400, says: /pixels\[5\].*"x"/ },
    { name: 'PNG type with text bytes', body: 'not an image', type: 'image/png', status: 400, says: /not a PNG or JPEG image/ },
    { name: 'truncated PNG', body: png.subarray(0, 60), type: 'image/png', status: 400, says: /PNG data is corrupt/ },
    { name: 'truncated JPEG', body: encodeGrayJpeg(smallScan).subarray(0, 40), type: 'image/jpeg', status: 400, says: /JPEG data is corrupt/ },
    { name: 'empty image body', body: '', type: 'image/png', status: 400, says: /empty/ },
    { name: 'blank image', body: encodeGrayPng(new Uint8Array(64 * 64).fill(230), 64, 64), type: 'image/png', status: 400, says: /blank/ },
  ];
  for (const c of badRequests) {
    test(`${c.name}: ${c.status} with a message saying what is wrong`, async () => {
      const { status, json } = await post(c.body, c.type);
      assert.equal(status, c.status, JSON.stringify(json));
      assert.match(String(json.error), c.says);
    });
  }

  test('a body over the limit gets 413: 1 MB by default, and the limit the server was given', async () => {
    const big = Buffer.concat([png, Buffer.alloc(1024 * 1024)]);
    const r = await post(big, 'image/png');
    assert.equal(r.status, 413);
    assert.match(String(r.json.error), /larger than the limit of 1048576 bytes/);
    const small = await createServer({ modelDir: fixture.runDir, staticDir, bodyLimit: 3000 });
    try {
      const url = `${await listen(small)}/api/predict`;
      const over = await post(JSON.stringify({ pixels: new Array(784).fill(255) }), 'application/json', url);
      assert.equal(over.status, 413, '784 values of 255 take 3,148 bytes, over 3,000');
      assert.match(String(over.json.error), /limit of 3000 bytes/);
      const under = await post(JSON.stringify({ pixels: new Array(784).fill(0) }), 'application/json', url);
      assert.equal(under.status, 200, JSON.stringify(under.json));
    } finally {
      await small.close();
    }
  });

  test('other methods get 405 naming POST', async () => {
    const r = await fetch(`${base}/api/predict`);
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('allow'), 'POST, OPTIONS');
  });
});

describe('files', () => {
  test('the page, its bundle, and the model files that rebuild the served model exactly', async () => {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<canvas id="pad"/);
    const js = await fetch(`${base}/main.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    const json = (await (await fetch(`${base}/model/model.json`)).json()) as { weightsManifest: { paths: string[] }[] };
    assert.deepEqual(json.weightsManifest.map((g) => g.paths), [['weights.bin']]);
    const weights = await (await fetch(`${base}/model/weights.bin`)).arrayBuffer();
    assert.deepEqual(modelFromArtifacts(json, weights).params, fixture.model.params);
  });

  test('no path reaches a file outside the static folders', async () => {
    const port = Number(new URL(base).port);
    const secrets = [/SECRET-CONTENTS/, /"name": "digitnet"/, /root:x:0:0/];
    const paths = [
      '/../package.json', '/../../package.json', '/%2e%2e/%2e%2e/package.json', '/..%2f..%2fpackage.json', '/%2e%2e%2f%2e%2e%2fpackage.json',
      '/model/../../secret.txt', '/model/%2e%2e/%2e%2e/secret.txt', '/report/../secret.txt', '/report/..%2fsecret.txt', '/report/%2e%2e/secret.txt',
      '/....//....//etc/passwd', '/..\\..\\package.json', '/%5c..%5c..%5cpackage.json', '//etc/passwd', '/main.js/../../../../etc/passwd', '/%00../package.json',
    ];
    for (const path of paths) {
      const { status, body } = await rawGet(port, path);
      assert.ok(status >= 400 && status < 500, `${path}: status ${status}`);
      for (const s of secrets) assert.doesNotMatch(body, s, `${path} leaked a file`);
    }
    assert.equal((await fetch(`${base}/api/model`)).status, 200, 'still serving');
  });

  test('clients that hang up mid-body or lie about the length do not bring it down', async () => {
    const port = Number(new URL(base).port);
    await new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.write('POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 500000\r\n\r\n');
        s.write(png.subarray(0, 100));
      });
      setTimeout(() => s.destroy(), 100);
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
    const bad = await rawRequest(port, 'POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}');
    assert.match(bad, /^HTTP\/1\.1 4\d\d/);
    const after = await post(JSON.stringify({ pixels: Array.from(testDigit(1)) }), 'application/json');
    assert.equal(after.status, 200);
  });
});

describe('digitnet serve', () => {
  test('with no --model it serves the newest run under runs/ and prints where', async () => {
    const cwd = join(tmp, 'project');
    const older = join(cwd, 'runs', '2031-01-01_09-00-00');
    const newer = join(cwd, 'runs', '2031-01-02_09-00-00');
    await cp(fixture.runDir, older, { recursive: true });
    await cp(fixture.runDir, newer, { recursive: true });
    const then = new Date('2020-01-01T09:00:00Z'); // written long before the other one
    await utimes(join(older, 'model', 'model.json'), then, then);
    const lines: string[] = [];
    const home = process.cwd();
    process.chdir(cwd);
    try {
      const served = await serve({ port: 0, host: '127.0.0.1', log: (l) => lines.push(l) });
      try {
        const port = (served.server.address() as { port: number }).port;
        const info = (await (await fetch(`http://127.0.0.1:${port}/api/model`)).json()) as { run: string };
        assert.equal(info.run, '2031-01-02_09-00-00');
        assert.match(lines.join('\n'), /Serving fixture_cnn \(5,258 parameters, \d+\.\d\d% test accuracy\) from runs\/2031-01-02_09-00-00/);
        assert.ok(lines.some((l) => l.includes(`http://127.0.0.1:${port}/`)), lines.join('\n'));
        await assert.rejects(serve({ model: older, port, host: '127.0.0.1', log: () => undefined }), /port \d+ on 127\.0\.0\.1 is already in use; choose another with --port/);
      } finally {
        await served.close();
      }
    } finally {
      process.chdir(home);
    }
  });

  test('--model takes a bare model folder too, and names a folder that is neither', async () => {
    const served = await serve({ model: join(fixture.runDir, 'model'), port: 0, host: '127.0.0.1', log: () => undefined });
    try {
      const port = (served.server.address() as { port: number }).port;
      const info = (await (await fetch(`http://127.0.0.1:${port}/api/model`)).json()) as { testAccuracy: number | null; reportUrl: string | null };
      assert.equal(info.testAccuracy, fixture.testAccuracy, 'a run\'s own model folder still finds the run');
      assert.equal(info.reportUrl, '/report/', "and the run's report");
    } finally {
      await served.close();
    }
    await assert.rejects(serve({ model: tmp, port: 0, host: '127.0.0.1', log: () => undefined }), /not a model folder \(no model\.json\) nor a run folder/);
  });
});

describe('load', () => {
  test('POST /api/predict: 2,000 JSON and 1,000 PNG requests at concurrency 16, none failed', async (t) => {
    const img = testDigit(0);
    // Every answer must be the in-process model's answer for this image.
    const label = new Tensor(localPredict(Float32Array.from(img, (v) => v / 255)), [1, 10]).argMax()[0];
    const check = (text: string): void => {
      const r = JSON.parse(text) as { label: number; probabilities: number[] };
      assert.equal(r.probabilities.length, 10);
      assert.equal(r.label, label);
    };
    const scan = scanOf(img, { width: 112, height: 112, scale: 4, x: 0, y: 0 });
    const runs = [
      { name: 'JSON pixels', body: Buffer.from(JSON.stringify({ pixels: Array.from(img) })), type: 'application/json', requests: 2000 },
      { name: 'PNG 112x112', body: encodeGrayPng(scan.data, scan.width, scan.height), type: 'image/png', requests: 1000 },
    ];
    for (const r of runs) {
      const result = await loadTest({ url: `${base}/api/predict`, body: r.body, contentType: r.type, requests: r.requests, concurrency: 16, deadlineMs: 20_000, check });
      t.diagnostic(formatLoad(`POST /api/predict (${r.name})`, result, 16));
      assert.deepEqual(result.errors, []);
      assert.equal(result.failed, 0);
      assert.equal(result.ok, r.requests);
    }
  });
});

/** A GET with the path sent exactly as written (fetch would normalize the dots away). */
async function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const text = await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  return { status: Number(text.split(' ')[1]), body: text };
}

function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    // No half-close: Node's server drops a connection whose client ended its side before the answer.
    const s = connect(port, '127.0.0.1', () => s.write(request));
    s.on('data', (c) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.on('error', reject);
    s.setTimeout(5000, () => s.destroy(new Error(`no answer to ${request.split('\r\n')[0]}`)));
  });
}
