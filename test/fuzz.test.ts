// Property-based tests (fast-check): the CSV, IDX, PNG/JPEG, model.json and HTTP API parsers fed random and
// mutated inputs give a result or a one-line error that names the input, never another kind of exception
// (a TypeError or RangeError from inside), a hang, or memory beyond the limits they were given. The seed
// changes from run to run (fast-check prints it with any failure, to replay it).

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { csvLines, readMnistCsv } from '../src/data/csv.js';
import { decodeImage, encodeGrayPng } from '../src/data/images.js';
import { parseIdx } from '../src/data/idx.js';
import { loadMnist, readIdxFile } from '../src/data/mnist.js';
import { cap } from '../src/data/sources.js';
import { modelFromArtifacts, modelToArtifacts } from '../src/engine/io/artifacts.js';
import { layers, sequential } from '../src/engine/index.js';
import { createServer } from '../src/server/app.js';
import { encodeGrayJpeg } from './helpers/server-fixture.js';
import { sharedFixtureRun } from './helpers/shared-fixture.js';
import { tempDir } from './helpers/temp.js';

const dir = tempDir('digitnet-fuzz-');
const mnist = loadMnist();
const staticDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'web');
const SMALL = { pixels: 1_000_000, side: 4096 };
/** DIGITNET_FUZZ_RUNS=10 runs ten times as many cases (a longer hunt than npm test's). */
const TIMES = Number(process.env.DIGITNET_FUZZ_RUNS ?? 1);

/** An error as users see it: an Error (not a TypeError or RangeError from inside a parser), one printable line naming `source`. */
function assertUserError(e: unknown, source: string): void {
  assert.ok(e instanceof Error, `not an Error: ${String(e)}`);
  assert.ok(!(e instanceof TypeError) && !(e instanceof RangeError) && !(e instanceof SyntaxError), `${e.constructor.name}: ${e.message}`);
  assert.ok(e.message.startsWith(source), `'${e.message}' does not name ${source}`);
  assert.doesNotMatch(e.message, /[\x00-\x1f]/, `control characters in '${JSON.stringify(e.message)}'`);
  assert.ok(e.message.length < 600, `a ${e.message.length}-character message`);
}

/** Byte mutations: flip, overwrite, cut, or splice in random bytes. */
function mutated(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => {
    let b = Uint8Array.from(base);
    for (const e of edits) {
      const at = e.at % Math.max(1, b.length);
      if (e.kind === 'set') b[at] = e.value;
      else if (e.kind === 'cut') b = b.subarray(0, at);
      else b = Uint8Array.from([...b.subarray(0, at), ...e.bytes, ...b.subarray(at)]);
    }
    return b;
  });
}

test('CSV: random text and mutated MNIST rows are read or refused with one line naming the file and line', async () => {
  const valid = Buffer.from([...csvLines(cap(mnist.test, 3), 'kaggle')].join(''));
  const texts = fc.oneof(
    mutated(valid),
    fc.string({ maxLength: 400 }).map((s) => Buffer.from(s)),
    fc.array(fc.array(fc.oneof(fc.constantFrom('0', '255', '7', '0.5', '"3"', '', ' 1 ', '0x1', '1e2', '-1', 'label', 'pixel0', '"'), fc.string({ maxLength: 4 })), { maxLength: 790 }), { minLength: 1, maxLength: 4 })
      .map((rows) => Buffer.from(rows.map((r) => r.join(',')).join('\n'))),
  );
  let n = 0;
  await fc.assert(fc.asyncProperty(texts, async (bytes) => {
    const path = join(dir, `case-${n++}.csv`);
    writeFileSync(path, bytes);
    try {
      const r = await readMnistCsv(path, { kind: 'auto' });
      assert.equal(r.images.length, r.count * 784);
      assert.ok(r.images.every((v) => v >= 0 && v <= 255));
    } catch (e) {
      assertUserError(e, path);
    }
  }), { numRuns: 300 * TIMES });
});

test('IDX: random and mutated files, plain and gzipped, are read or refused with one line naming the file', () => {
  const head = new Uint8Array([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28]);
  const valid = Uint8Array.from([...head, ...mnist.test.images.subarray(0, 2 * 784)]);
  let n = 0;
  fc.assert(fc.property(fc.oneof(mutated(valid), fc.uint8Array({ maxLength: 64 })), fc.boolean(), (bytes, gz) => {
    try {
      parseIdx(bytes, 'mem.idx');
    } catch (e) {
      assertUserError(e, 'mem.idx');
    }
    const path = join(dir, `case-${n++}-idx3-ubyte${gz ? '.gz' : ''}`);
    writeFileSync(path, gz ? gzipSync(bytes) : bytes);
    try {
      const r = readIdxFile(path);
      assert.equal(r.data.length, r.dims.reduce((a, b) => a * b, 1));
    } catch (e) {
      assertUserError(e, path);
    }
  }), { numRuns: 300 * TIMES });
});

test('PNG and JPEG: mutated images decode or are refused with one line, within the pixel limit given', () => {
  const digit = mnist.test.images.subarray(0, 784);
  const png = encodeGrayPng(digit, 28, 28);
  const jpg = encodeGrayJpeg({ data: Uint8Array.from(digit), width: 28, height: 28 });
  fc.assert(fc.property(fc.oneof(mutated(png), mutated(jpg)), (bytes) => {
    try {
      const img = decodeImage(bytes, 'upload', SMALL);
      assert.ok(img.width * img.height <= SMALL.pixels);
      assert.equal(img.data.length, img.width * img.height * 4);
    } catch (e) {
      assertUserError(e, 'upload');
    }
  }), { numRuns: 400 * TIMES });
});

test('model.json: any part replaced by any JSON value loads or is refused with one line naming the file', () => {
  const small = sequential([layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [8, 8, 1] }), layers.flatten(), layers.dense({ units: 3, activation: 'softmax' })], { seed: 1 });
  const { modelJson, weightData } = modelToArtifacts(small);
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]): void => {
    paths.push(path);
    if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) walk(c, [...path, Array.isArray(v) ? Number(k) : k]);
  };
  walk(modelJson, []);
  const numbers = fc.oneof(fc.integer({ min: -3, max: 1e12 }), fc.constantFrom(1e9, 1e15, -1, 0, 0.5, Number.MAX_SAFE_INTEGER));
  const value = fc.oneof(fc.jsonValue({ maxDepth: 3 }), numbers, fc.array(numbers, { maxLength: 5 }));
  fc.assert(fc.property(fc.constantFrom(...paths), value, (path, replacement) => {
    const j = structuredClone(modelJson) as unknown as Record<string | number, unknown>;
    let target: unknown = j;
    if (path.length === 0) target = replacement;
    else {
      let parent = j as Record<string | number, unknown>;
      for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
      parent[path[path.length - 1]] = replacement;
    }
    try {
      const m = modelFromArtifacts(target, weightData.slice(0), 'fuzz/model.json');
      assert.ok(m.params.length <= 100_000_000);
    } catch (e) {
      assertUserError(e, 'fuzz/model.json');
    }
  }), { numRuns: 500 * TIMES });
});

let app: FastifyInstance;
before(async () => {
  const fixture = await sharedFixtureRun();
  app = await createServer({ modelDir: fixture.runDir, staticDir, decode: { maxImagePixels: SMALL.pixels } });
});
after(async () => app?.close());

test('the HTTP API: random methods, paths, content types and bodies get 2xx or 4xx, errors always {"error": one line}', async () => {
  const png = encodeGrayPng(mnist.test.images.subarray(0, 784), 28, 28);
  const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD');
  const url = fc.oneof(fc.constantFrom('/api/predict', '/api/model', '/model/model.json', '/report/', '/', '/api/predict?x=1'), fc.string({ maxLength: 30 }).map((s) => `/${encodeURIComponent(s)}`));
  const type = fc.oneof(fc.constantFrom('application/json', 'image/png', 'image/jpeg', 'text/plain', 'application/json; charset=utf-8', 'multipart/form-data'), fc.string({ maxLength: 20 }));
  const body = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v))),
    fc.array(fc.oneof(fc.integer({ min: -10, max: 300 }), fc.double(), fc.string({ maxLength: 3 })), { minLength: 780, maxLength: 790 }).map((a) => Buffer.from(JSON.stringify({ pixels: a }))),
    mutated(png).map((b) => Buffer.from(b)),
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  );
  await fc.assert(fc.asyncProperty(method, url, type, body, async (m, u, t, b) => {
    const withBody = m !== 'GET' && m !== 'HEAD' && m !== 'OPTIONS';
    const r = await app.inject({ method: m as 'POST', url: u, headers: withBody ? { 'content-type': t } : {}, payload: withBody ? b : undefined });
    assert.ok(r.statusCode < 500 || r.statusCode === 503, `${m} ${u} (${t}): ${r.statusCode} ${r.body.slice(0, 200)}`);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    if (r.statusCode >= 400 && m !== 'HEAD') {
      const j = JSON.parse(r.body) as Record<string, unknown>;
      assert.deepEqual(Object.keys(j), ['error']);
      assert.equal(typeof j.error, 'string');
      assert.doesNotMatch(j.error as string, /[\n\r]/);
    }
  }), { numRuns: 300 * TIMES });
});

test('one file read: the fixture is what it claims (sanity for the test above)', () => {
  assert.ok(readFileSync(join(staticDir, 'index.html'), 'utf8').includes('<canvas id="pad"'));
});
