// The drawing page's saliency view in a real browser (Debian's Chromium through playwright-core), serving the
// shared trained fixture: it appears while a stroke is still being drawn, follows the drawing, agrees with
// POST /api/explain for the very pixels the page's model saw, and clears with the pad. Screenshot in
// test-output/web-saliency.png.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer } from '../src/server/app.js';
import type { ExplainResponse } from '../src/server/routes/explain.js';
import { sharedFixtureRun } from './helpers/trained-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const staticDir = join(root, 'dist', 'web');
type Pt = [number, number];

let tmp: string;
let app: FastifyInstance;
let base: string;
let browser: Browser;
let page: Page;
const errors: string[] = [];

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install it with \`apt-get install -y chromium\``);
  const { buildWeb } = (await import(join(root, 'scripts', 'build-web.mjs'))) as { buildWeb: (o: { quiet: boolean }) => Promise<number> };
  await buildWeb({ quiet: true }); // the page under test is the current source's
  tmp = mkdtempSync(join(tmpdir(), 'digitnet-web-saliency-'));
  const fx = await sharedFixtureRun(join(tmp, 'run'));
  app = await createServer({ modelDir: fx.runDir, staticDir });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(base);
  await page.waitForSelector('body.ready', { timeout: 15_000 });
});

after(async () => {
  await browser?.close();
  await app?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** A mouse stroke through points in pad fractions, as small moves; `release: false` keeps the button down. */
async function stroke(pts: Pt[], o: { start?: boolean; release?: boolean } = {}): Promise<void> {
  const box = (await page.locator('#pad').boundingBox())!;
  const path: Pt[] = [pts[0]];
  for (let i = 1; i < pts.length; i++) {
    const [[x0, y0], [x1, y1]] = [pts[i - 1], pts[i]];
    const k = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / 0.02));
    for (let j = 1; j <= k; j++) path.push([x0 + ((x1 - x0) * j) / k, y0 + ((y1 - y0) * j) / k]);
  }
  const xy = ([fx, fy]: Pt): [number, number] => [box.x + fx * box.width, box.y + fy * box.height];
  if (o.start !== false) {
    await page.mouse.move(...xy(path[0]));
    await page.mouse.down();
  }
  for (const p of path.slice(1)) await page.mouse.move(...xy(p));
  if (o.release !== false) await page.mouse.up();
}

const ellipse = (cx: number, cy: number, rx: number, ry: number, n = 48): Pt[] =>
  Array.from({ length: n + 1 }, (_, i) => [cx + rx * Math.sin((i / n) * 2 * Math.PI), cy - ry * Math.cos((i / n) * 2 * Math.PI)] as Pt);

interface Seen {
  digit: string;
  label: string;
  saliency: number[];
  preview: number[];
  heat: number[];
}

/** After the page has predicted and explained the current drawing: what it shows. */
async function seen(): Promise<Seen> {
  await page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
  await page.waitForFunction(() => document.getElementById('saliency-view')?.dataset.pending === 'false');
  return page.evaluate(() => {
    const fig = document.getElementById('saliency-view')!;
    const px = (id: string): Uint8ClampedArray => {
      const c = (id === 'preview' ? document.getElementById('preview') : fig.querySelector('canvas')) as HTMLCanvasElement;
      return c.getContext('2d')!.getImageData(0, 0, 28, 28).data;
    };
    const preview = px('preview');
    const heat = px('saliency');
    return {
      digit: document.getElementById('digit')!.dataset.label ?? '',
      label: fig.dataset.label ?? '',
      saliency: fig.dataset.saliency ? fig.dataset.saliency.split(',').map(Number) : [],
      preview: Array.from({ length: 784 }, (_, i) => preview[i * 4]),
      heat: Array.from(heat),
    };
  });
}

test('the saliency shows while the stroke is still being drawn, and follows the drawing', async () => {
  await stroke([[0.5, 0.15], [0.5, 0.55]], { release: false });
  const midway = await seen();
  assert.notEqual(midway.label, '', 'a saliency before the pointer is lifted');
  assert.equal(midway.label, midway.digit, 'for the digit the page shows');
  assert.equal(midway.saliency.length, 784);
  assert.equal(Math.max(...midway.saliency), 1);
  await stroke([[0.5, 0.55], [0.5, 0.85]], { start: false });
  const done = await seen();
  assert.notDeepEqual(done.saliency, midway.saliency, 'a longer stroke, another saliency');
  assert.ok(done.heat.some((v, i) => i % 4 !== 3 && v > 40), 'the view is drawn');
  assert.deepEqual(errors, []);
});

test('it is the saliency POST /api/explain gives for the pixels the page saw', async () => {
  await page.click('#clear');
  await stroke(ellipse(0.45, 0.5, 0.2, 0.3));
  const s = await seen();
  assert.equal(s.label, s.digit);
  const r = await fetch(`${base}api/explain`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pixels: s.preview }) });
  const api = (await r.json()) as ExplainResponse;
  assert.equal(String(api.label), s.label);
  // The page runs its own backend (WebAssembly where the browser has it) on canvas pixels; the API the native
  // one on their 8-bit copy. The rounding of the pixels moves the normalized saliency by a few hundredths, and
  // where it flips a ReLU or a pooling window a few pixels move more: the maps must agree as a whole (mean
  // difference and correlation), not pixel by pixel.
  const n = s.saliency.length;
  const mean = (a: number[]): number => a.reduce((t, v) => t + v, 0) / n;
  const [ma, mb] = [mean(s.saliency), mean(api.saliency)];
  let [cov, va, vb, diff] = [0, 0, 0, 0];
  s.saliency.forEach((v, i) => {
    cov += (v - ma) * (api.saliency[i] - mb);
    va += (v - ma) ** 2;
    vb += (api.saliency[i] - mb) ** 2;
    diff += Math.abs(v - api.saliency[i]) / n;
  });
  const corr = cov / Math.sqrt(va * vb);
  assert.ok(corr > 0.95 && diff < 0.02, `page and API saliency: correlation ${corr.toFixed(4)}, mean difference ${diff.toFixed(4)}`);
  mkdirSync(join(root, 'test-output'), { recursive: true });
  await page.screenshot({ path: join(root, 'test-output', 'web-saliency.png') });
});

test('clearing the pad clears the view', async () => {
  await page.click('#clear');
  const s = await seen();
  assert.equal(s.label, '');
  assert.deepEqual(s.saliency, []);
  assert.ok(s.heat.every((v, i) => (i % 4 === 3 ? v === 255 : v === 0)), 'black');
  assert.match((await page.textContent('#saliency-view figcaption')) ?? '', /once you draw/);
  assert.deepEqual(errors, []);
});
