// The number panel in a real browser (Debian's Chromium via playwright-core), with the shared trained
// fixture served: a number written on the wide pad with pointer events is read while it is written, each
// digit boxed where it was written; undo and clear; photos of numbers on paper read in the page from the
// file input and from a drop; and bad input (a blank pad, a photo with no digits, a huge photo, a file the
// browser cannot decode) gives a message, never a hang. Screenshots go to test-output/.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { encodeJpeg } from '../src/data/images.js';
import { loadMnist } from '../src/data/mnist.js';
import { Random } from '../src/engine/index.js';
import { composeNumber, photograph } from '../src/read/index.js';
import { createServer } from '../src/server/app.js';
import { inverted, recognizedDigits } from './helpers/numbers.js';
import { readFixture, type ReadFixture } from './helpers/read-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const staticDir = join(root, 'dist', 'web');
const shots = join(root, 'test-output');

type Pt = [number, number];
let fx: ReadFixture;
let app: FastifyInstance;
let browser: Browser;
let page: Page;
const errors: string[] = [];

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install it with \`apt-get install -y chromium\``);
  if (!existsSync(join(staticDir, 'index.html'))) {
    const { buildWeb } = (await import(join(root, 'scripts', 'build-web.mjs'))) as { buildWeb: (o: { quiet: boolean }) => Promise<number> };
    await buildWeb({ quiet: true });
  }
  fx = await readFixture();
  app = await createServer({ modelDir: fx.runDir, staticDir });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  assert.ok(addr && typeof addr === 'object');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`http://127.0.0.1:${addr.port}/`);
  await page.waitForSelector('body.ready', { timeout: 20_000 });
  await mkdir(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  await app?.close();
});

/** One stroke through points in pad fractions (0..1 across, 0..1 down), as small mouse moves. */
async function stroke(pts: Pt[]): Promise<void> {
  const box = (await page.locator('#number-pad').boundingBox())!;
  const path: Pt[] = [pts[0]];
  for (let i = 1; i < pts.length; i++) {
    const [x0, y0] = pts[i - 1];
    const [x1, y1] = pts[i];
    const k = Math.max(1, Math.ceil(Math.hypot((x1 - x0) * box.width, (y1 - y0) * box.height) / 6));
    for (let j = 1; j <= k; j++) path.push([x0 + ((x1 - x0) * j) / k, y0 + ((y1 - y0) * j) / k]);
  }
  const xy = ([fx0, fy0]: Pt): [number, number] => [box.x + fx0 * box.width, box.y + fy0 * box.height];
  await page.mouse.move(...xy(path[0]));
  await page.mouse.down();
  for (const p of path.slice(1)) await page.mouse.move(...xy(p));
  await page.mouse.up();
}

const ellipse = (cx: number, cy: number, rx: number, ry: number, n = 48): Pt[] =>
  Array.from({ length: n + 1 }, (_, i) => [cx + rx * Math.sin((i / n) * 2 * Math.PI), cy - ry * Math.cos((i / n) * 2 * Math.PI)] as Pt);

/** The digits written, and where (their centre across the pad, as a fraction). */
const WRITTEN: { digit: string; centre: number; strokes: Pt[][] }[] = [
  { digit: '1', centre: 0.15, strokes: [[[0.15, 0.15], [0.15, 0.85]]] },
  { digit: '0', centre: 0.3, strokes: [ellipse(0.3, 0.5, 0.055, 0.33)] },
  { digit: '7', centre: 0.49, strokes: [[[0.43, 0.18], [0.55, 0.18], [0.47, 0.85]]] },
  { digit: '4', centre: 0.69, strokes: [[[0.68, 0.15], [0.63, 0.6], [0.76, 0.6]], [[0.72, 0.35], [0.72, 0.87]]] },
];

interface Reading {
  number: string;
  size: [number, number];
  digits: { label: string; confidence: number; box: number[] }[];
  overlay: DOMRect[];
}

/**
 * The page's reading, from the DOM, once it is current (made from the latest state of the pad or photo:
 * the page counts its changes) and satisfies `want`; the last current one when none does.
 */
async function reading(want?: (r: Reading) => boolean): Promise<Reading> {
  let r: Reading | null = null;
  for (let i = 0; i < 80; i++) {
    await page.waitForTimeout(100);
    r = await page.evaluate(() => {
      const out = document.getElementById('number-read')!;
      if (out.dataset.input !== document.getElementById('number-stage')!.dataset.inputs) return null;
      const [w, h] = (out.dataset.size ?? '0x0').split('x').map(Number);
      return {
        number: out.dataset.number ?? '',
        size: [w, h] as [number, number],
        digits: Array.from(document.querySelectorAll<HTMLElement>('#number-digits li'), (li) => ({ label: li.dataset.label!, confidence: Number(li.dataset.confidence), box: li.dataset.box!.split(',').map(Number) })),
        overlay: Array.from(document.querySelectorAll('.digit-box'), (b) => b.getBoundingClientRect().toJSON() as DOMRect),
      };
    });
    if (r && (!want || want(r))) return r;
  }
  assert.ok(r, 'the page read the latest state of the pad or photo');
  return r;
}

describe('writing a number on the wide pad', () => {
  test('a number written with pointer events is read as it is written, each digit boxed where it was written', async () => {
    await page.click('#number-clear', { force: true });
    for (const d of WRITTEN.slice(0, 2)) for (const s of d.strokes) await stroke(s);
    const midway = await reading((r) => r.number.length === 2);
    assert.equal(midway.number, '10', 'read while writing, before the number is finished');
    for (const d of WRITTEN.slice(2)) for (const s of d.strokes) await stroke(s);
    const r = await reading((x) => x.number.length === 4);
    assert.equal(r.number, '1074');
    assert.equal(await page.textContent('#number-read'), '1074');
    assert.deepEqual(r.digits.map((d) => d.label), ['1', '0', '7', '4']);
    const [w, h] = r.size;
    assert.equal(h, 280, 'the pad is read at a fixed height');
    const pad = (await page.locator('#number-pad').boundingBox())!;
    r.digits.forEach((d, i) => {
      const [x, y, bw, bh] = d.box;
      assert.ok(Math.abs((x + bw / 2) / w - WRITTEN[i].centre) < 0.03, `digit ${d.label} is boxed where it was written: ${d.box}`);
      assert.ok(bh > 0.6 * h && y >= 0 && y + bh <= h, `digit ${d.label}: box ${d.box} spans the written height`);
      assert.ok(d.confidence > 0.5 && d.confidence <= 1);
      const o = r.overlay[i];
      assert.ok(Math.abs(o.x + o.width / 2 - (pad.x + WRITTEN[i].centre * pad.width)) < 0.04 * pad.width, `the box drawn on the page sits on digit ${d.label}`);
    });
    await page.screenshot({ path: join(shots, 'web-number.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });

  test('undo takes the last stroke back; clear empties the pad, and a blank pad reads as nothing', async () => {
    await page.click('#number-undo');
    const undone = await reading((r) => r.number !== '1074');
    assert.match(undone.number, /^107/, `the 4 lost its stem: ${undone.number}`);
    await page.click('#number-undo');
    assert.equal((await reading((r) => r.number === '107')).number, '107');
    await page.click('#number-clear');
    const blank = await reading((r) => r.number === '');
    assert.equal(blank.number, '');
    assert.deepEqual(blank.digits, []);
    assert.equal(blank.overlay.length, 0, 'no boxes on a blank pad');
    assert.equal(await page.textContent('#number-read'), '–');
    assert.equal(await page.locator('#number-clear').isDisabled(), true);
  });
});

describe('photos', () => {
  /** A JPEG photo of a number of digits the model reads surely alone, and the number. */
  function photoOf(seed: number, o: { digitHeight?: number } = {}): { jpeg: Buffer; text: string } {
    const sure = recognizedDigits(fx.model, loadMnist().test, 60, { sure: 0.99 });
    const n = composeNumber(sure.slice(seed * 5, seed * 5 + 4), new Random(seed), { gap: [0.25, 0.5], digitHeight: o.digitHeight ?? 56 });
    return { jpeg: encodeJpeg(photograph(n, new Random(seed + 50)).image, 75), text: n.text };
  }

  test('a photo from the file input is shown and read in the page; clear puts it away', async () => {
    const p = photoOf(1);
    await page.setInputFiles('#number-photo', { name: 'number.jpg', mimeType: 'image/jpeg', buffer: p.jpeg });
    const r = await reading((x) => x.number === p.text);
    assert.equal(r.number, p.text);
    assert.equal(await page.locator('#photo-view').isVisible(), true);
    assert.equal(await page.locator('#number-pad').isVisible(), false);
    const view = (await page.locator('#photo-view').boundingBox())!;
    for (const o of r.overlay) assert.ok(o.x >= view.x - 1 && o.x + o.width <= view.x + view.width + 1, 'boxes lie on the photo');
    await page.screenshot({ path: join(shots, 'web-photo.png'), fullPage: true });
    await page.click('#number-clear');
    assert.equal(await page.locator('#number-pad').isVisible(), true);
    assert.equal((await reading((x) => x.number === '')).number, '');
  });

  test('a photo dropped onto the panel is read like a chosen one', async () => {
    const p = photoOf(2);
    await page.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'dropped.jpg', { type: 'image/jpeg' }));
      const stage = document.getElementById('number-stage')!;
      for (const type of ['dragenter', 'dragover', 'drop']) stage.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, p.jpeg.toString('base64'));
    assert.equal((await reading((x) => x.number === p.text)).number, p.text);
    await page.click('#number-clear');
  });

  test('bad input: a photo with no digits, a huge photo, a file the browser cannot decode', async () => {
    const blank = photograph({ image: { data: new Uint8Array(320 * 120), width: 320, height: 120, channels: 1 }, text: '', labels: [], boxes: [], touching: 0 }, new Random(8));
    await page.setInputFiles('#number-photo', { name: 'blank.jpg', mimeType: 'image/jpeg', buffer: encodeJpeg(blank.image, 80) });
    await page.waitForFunction(() => document.getElementById('number-status')!.textContent === 'No digits found in this photo.');
    assert.equal((await reading()).number, '');

    const sure = recognizedDigits(fx.model, loadMnist().test, 60, { sure: 0.99 });
    const n = composeNumber(sure.slice(40, 43), new Random(3), { gap: [0.3, 0.5], digitHeight: 1400, margin: 0.4 });
    const huge = encodeJpeg(inverted(n.image), 60);
    await page.setInputFiles('#number-photo', { name: 'huge.jpg', mimeType: 'image/jpeg', buffer: huge });
    const r = await reading((x) => x.number === n.text);
    assert.equal(r.number, n.text, `a ${n.image.width}x${n.image.height} photo`);
    assert.ok(Math.max(...r.size) <= 1600, `drawn at ${r.size.join('x')} before reading`);

    await page.setInputFiles('#number-photo', { name: 'broken.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a JPEG at all') });
    await page.waitForSelector('#number-status.error');
    assert.equal(await page.textContent('#number-status'), 'broken.jpg: this file could not be read as an image (PNG, JPEG, WebP or GIF).');
    await page.click('#number-clear');
    assert.deepEqual(errors, []);
  });
});
