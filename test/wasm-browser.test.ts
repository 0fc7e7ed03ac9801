// The WebAssembly backend in a real browser (Debian's Chromium via playwright-core): its two builds, loaded
// in a page the way the page loads them, run the shared kernel cases against the reference backend there;
// a Web Worker chooses and trains on it as the page does; and the draw-a-digit page picks the WebAssembly
// backend, names it, and falls back to the reference backend, saying why, when the browser lacks SIMD.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { WASM_FILES } from '../src/engine/backends/wasm/index.js';
import { wasmDir } from '../src/engine/backends/wasm/node.js';
import { createServer as createApp } from '../src/server/app.js';
import { trainFixtureRun } from './helpers/server-fixture.js';
import type { CaseResult } from './browser/kernels-page.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let tmp: string;
let browser: Browser;
let server: Server;
let kernelsUrl: string;

/** Serves `dir` (flat: the bundle, its page and the .wasm files) on a free port. */
async function serveDir(dir: string): Promise<string> {
  server = createServer((req, res) => {
    const name = (req.url ?? '/').split('?')[0].replace(/^\/+/, '') || 'index.html';
    if (!/^[\w.-]+$/.test(name)) return void res.writeHead(404).end();
    const type = name.endsWith('.js') ? 'text/javascript' : name.endsWith('.wasm') ? 'application/wasm' : 'text/html';
    readFile(join(dir, name)).then((b) => res.writeHead(200, { 'content-type': type }).end(b), () => res.writeHead(404).end());
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  assert.ok(addr && typeof addr === 'object');
  return `http://127.0.0.1:${addr.port}/`;
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install it with \`apt-get install -y chromium\``);
  tmp = await mkdtemp(join(tmpdir(), 'digitnet-wasm-'));
  for (const [entry, out] of [['kernels-page.ts', 'page.js'], ['worker.ts', 'worker.js']]) {
    await build({ entryPoints: [join(root, 'test', 'browser', entry)], outfile: join(tmp, out), bundle: true, format: 'esm', platform: 'browser', logLevel: 'error' });
  }
  await Promise.all(Object.values(WASM_FILES).map((f) => copyFile(join(wasmDir(), f), join(tmp, f))));
  const html = '<!doctype html><meta charset="utf-8"><title>wasm kernels</title><script type="module" src="page.js"></script>';
  await (await import('node:fs/promises')).writeFile(join(tmp, 'index.html'), html);
  kernelsUrl = await serveDir(tmp);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});

after(async () => {
  await browser?.close();
  server?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function kernelsPage(): Promise<Page> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(kernelsUrl);
  await page.waitForFunction(() => 'wasmKernels' in globalThis);
  assert.deepEqual(errors, []);
  return page;
}

describe('WebAssembly backend in Chromium', () => {
  test('Chromium has WebAssembly SIMD and relaxed SIMD: feature detection picks the relaxed build', async () => {
    const page = await kernelsPage();
    const v = await page.evaluate(() => (globalThis as never as { wasmKernels: { wasmVariant(): string | null } }).wasmKernels.wasmVariant());
    assert.equal(v, 'relaxed-simd');
    await page.close();
  });

  test('a Web Worker chooses the WebAssembly backend as the page does, and trains on it', async () => {
    const page = await kernelsPage();
    const r = (await page.evaluate(() => (globalThis as never as { wasmKernels: { inWorker(): Promise<unknown> } }).wasmKernels.inWorker())) as Record<string, unknown>;
    await page.close();
    assert.equal(r.inWorker, true);
    assert.equal(r.backend, 'wasm (relaxed simd)');
    assert.equal(r.modelBackend, 'wasm (relaxed simd)', 'models built after chooseBackend run on it');
    assert.ok(typeof r.loss === 'number' && Number.isFinite(r.loss) && r.loss > 0, `loss ${r.loss}`);
  });

  for (const variant of ['simd', 'relaxed-simd'] as const) {
    test(`${variant} build: every shared kernel case matches the reference backend in the page`, async () => {
      const page = await kernelsPage();
      const r = await page.evaluate(
        (v) => (globalThis as never as { wasmKernels: { run(v: string): Promise<{ backend: string; results: CaseResult[] }> } }).wasmKernels.run(v),
        variant,
      );
      await page.close();
      assert.match(r.backend, variant === 'simd' ? /^wasm \(simd\)$/ : /^wasm \(relaxed simd\)$/);
      assert.ok(r.results.length >= 60, `${r.results.length} cases ran`);
      const failures = r.results.flatMap((c) =>
        Object.entries(c.errors)
          .filter(([, e]) => !(e.rel <= c.tol && e.max <= c.tol))
          .map(([key, e]) => `${c.name} ${key}: relative error ${e.rel.toExponential(2)}, max ${e.max.toExponential(2)} > ${c.tol}`),
      );
      assert.deepEqual(failures, []);
    });
  }
});

describe('the page chooses and names its backend', () => {
  let app: FastifyInstance;
  let base: string;

  before(async () => {
    const staticDir = join(root, 'dist', 'web');
    assert.ok(existsSync(join(staticDir, 'index.html')), `${staticDir} is not built: run \`npm run build\``);
    // Any trained model will do: the test is about the backend, not the accuracy.
    const fixture = await trainFixtureRun(join(tmp, 'run'), { trainImages: 1000, epochs: 1 });
    app = await createApp({ modelDir: fixture.runDir, staticDir });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    assert.ok(addr && typeof addr === 'object');
    base = `http://127.0.0.1:${addr.port}/`;
  });

  after(async () => {
    await app?.close();
  });

  /** The page, model loaded; its backend line; and a prediction of a drawn stroke made on that backend. */
  async function open(noSimd: boolean): Promise<{ text: string; name: string; label: string }> {
    const ctx = await browser.newContext();
    // A browser without WebAssembly SIMD: every validation of a SIMD module fails.
    if (noSimd) await ctx.addInitScript(() => { WebAssembly.validate = () => false; });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base);
    await page.waitForSelector('body.ready', { timeout: 15_000 });
    const line = page.locator('#backend');
    const text = (await line.textContent()) ?? '';
    const name = (await line.getAttribute('data-backend')) ?? '';
    const box = (await page.locator('#pad').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.8, { steps: 12 });
    await page.mouse.up();
    await page.waitForFunction(() => document.getElementById('digit')?.dataset.label !== '');
    const label = (await page.locator('#digit').getAttribute('data-label')) ?? '';
    await ctx.close();
    assert.deepEqual(errors, []);
    return { text, name, label };
  }

  test('with WebAssembly SIMD: the relaxed SIMD build, named in the page, and predictions work', async () => {
    const r = await open(false);
    assert.equal(r.name, 'wasm (relaxed simd)');
    assert.equal(r.text, 'Runs in this browser on the WebAssembly SIMD backend (relaxed SIMD).');
    assert.match(r.label, /^[0-9]$/);
  });

  test('without WebAssembly SIMD: the reference backend, with the reason, and predictions work', async () => {
    const r = await open(true);
    assert.equal(r.name, 'reference');
    assert.equal(r.text, 'Runs in this browser on the reference backend (TypeScript): this browser has no WebAssembly SIMD.');
    assert.match(r.label, /^[0-9]$/);
  });
});
