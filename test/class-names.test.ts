// A letters model from end to end, as a user makes one: `digitnet data letters` renders A-Z from Debian's
// handwriting fonts, `digitnet train --data` trains on the folder (a test split held out and said), and the
// class names travel with the model: predict (text and JSON: `label` the index, `className`, `top`),
// evaluate, the report, the API (/api/model, /api/predict, /api/explain) and the page in Chromium, which
// shows a bar per letter and names the letter of an uploaded image as the API does.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium } from 'playwright-core';
import { createServer } from '../src/server/app.js';
import { ok } from './helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const staticDir = join(root, 'dist', 'web');
const dir = mkdtempSync(join(tmpdir(), 'digitnet-letters-'));
const LETTERS = Array.from({ length: 26 }, (_, i) => String.fromCharCode(65 + i));
let trainOut: string;
let app: FastifyInstance;
let base: string;

interface Answer {
  label: number;
  className: string;
  probabilities: number[];
  top: { index: number; className: string; p: number }[];
}

before(async () => {
  const made = ok(dir, ['data', 'letters', '--out', 'letters', '--count', '40']);
  assert.match(made, /letters\/: 1,040 images \(40 per letter, 64x64 PNG, 14 fonts\)/);
  trainOut = ok(dir, ['train', '--data', 'letters', '--epochs', '4', '--test-split', '0.2', '--out', 'run']);
  app = await createServer({ modelDir: join(dir, 'run'), staticDir });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address() as { port: number };
  base = `http://127.0.0.1:${addr.port}/`;
});

after(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The letter images of one class, as paths. */
const imagesOf = (letter: string): string[] => readdirSync(join(dir, 'letters', letter)).sort().map((n) => join(dir, 'letters', letter, n));

test('data letters writes one folder per letter; training on it holds out a test split, says so, and records the names', () => {
  assert.deepEqual(readdirSync(join(dir, 'letters')).sort(), LETTERS);
  assert.match(trainOut, /208 images held out from letters \(20%, stratified, seed 42\)/);
  assert.match(trainOut, /letters: 26 classes \(A 40, B 40, C 40/);
  const run = JSON.parse(readFileSync(join(dir, 'run', 'run.json'), 'utf8'));
  assert.deepEqual(run.data.classNames, LETTERS);
  assert.deepEqual(run.data.heldOutTest, { fraction: 0.2, seed: 42, rows: 208 });
  const meta = JSON.parse(readFileSync(join(dir, 'run', 'model', 'model.json'), 'utf8')).userDefinedMetadata.digitnet;
  assert.deepEqual([meta.classNames, meta.preprocess], [LETTERS, 'mnist']);
  const acc = JSON.parse(readFileSync(join(dir, 'run', 'metrics.json'), 'utf8')).test.accuracy;
  assert.ok(acc > 0.3, `26 letters from 832 images in 4 epochs, far above chance (3.8%): ${acc}`);
});

test('predict names the letter: text output, and JSON with label (the index), className and top', () => {
  const files = [imagesOf('K')[0], imagesOf('W')[1]];
  const lines = ok(dir, ['predict', '--model', 'run', '--json', ...files]).trim().split('\n').map((l) => JSON.parse(l) as Answer & { input: string });
  for (const a of lines) {
    assert.equal(typeof a.label, 'number');
    assert.equal(a.className, LETTERS[a.label]);
    assert.equal(a.top.length, 3);
    assert.deepEqual(a.top[0], { index: a.label, className: a.className, p: a.probabilities[a.label] });
    assert.ok(a.top[1].p <= a.top[0].p && a.top[2].p <= a.top[1].p);
    assert.equal(a.probabilities.length, 26);
  }
  const text = ok(dir, ['predict', '--model', 'run', ...files]).trim().split('\n');
  text.forEach((l, i) => assert.match(l, new RegExp(`  ${lines[i].className} \\(${lines[i].label}\\)  \\(\\d+\\.\\d%\\)$`)));
});

test('evaluate and the report show the class names', () => {
  const ev = ok(dir, ['evaluate', '--model', 'run', '--data', 'letters', '--limit', '260']);
  assert.match(ev, /actual \\ predicted\s+A\s+B\s+C\s+D/);
  assert.match(ev, /^\s+Z\s+\d\.\d\d\s+\d\.\d\d\s+\d\.\d\d\s+10$/m, 'the classification report has a row per letter, ten images each');
  const html = readFileSync(join(dir, 'run', 'report.html'), 'utf8');
  assert.match(html, /<h1>Image classification report<\/h1>/);
  assert.match(html, /26: A \(32\), B \(32\), C \(32\)/, 'the data table lists the classes with their training counts');
  const confusion = readFileSync(join(dir, 'run', 'figures', 'confusion.svg'), 'utf8');
  for (const l of ['A', 'M', 'Z']) assert.match(confusion, new RegExp(`>${l}</text>`));
  assert.match(readFileSync(join(dir, 'run', 'figures', 'samples.svg'), 'utf8'), />[A-Z] → [A-Z]<\/text>/);
});

test('the API answers with the letter\'s name, and the page shows a bar per letter and names an upload as the API does', async () => {
  const info = (await (await fetch(`${base}api/model`)).json()) as { classNames: string[]; classes: number; preprocess: string };
  assert.deepEqual([info.classNames, info.classes, info.preprocess], [LETTERS, 26, 'mnist']);
  // A letter the model reads with confidence, by the API, from its PNG.
  let chosen: { png: Buffer; answer: Answer } | null = null;
  for (const letter of ['O', 'L', 'T', 'X', 'I', 'C', 'S', 'V']) {
    for (const path of imagesOf(letter).slice(0, 4)) {
      const png = readFileSync(path);
      const answer = (await (await fetch(`${base}api/predict`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(png) })).json()) as Answer;
      assert.equal(answer.className, LETTERS[answer.label]);
      if (!chosen && answer.className === letter && answer.top[0].p > 0.8) chosen = { png, answer };
    }
  }
  assert.ok(chosen, 'the model reads some of these letters with confidence');
  const why = (await (await fetch(`${base}api/explain`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(chosen.png) })).json()) as Answer & { saliency: number[] };
  assert.deepEqual([why.label, why.className, why.top[0].className], [chosen.answer.label, chosen.answer.className, chosen.answer.className]);
  assert.equal(why.saliency.length, 784);

  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install it with \`apt-get install -y chromium\``);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text())); // a Content-Security-Policy violation included
    await page.goto(base);
    await page.waitForSelector('body.ready', { timeout: 15_000 });
    await page.waitForFunction(() => document.querySelectorAll('#bars li').length === 26);
    const bars = await page.$$eval('#bars li .bar-digit', (els) => els.map((e) => e.textContent));
    assert.deepEqual(bars, LETTERS);
    assert.match((await page.textContent('#lede')) ?? '', /Draw one of 26 classes \(A, B, C, D, E, F, … Z\)/);
    await page.setInputFiles('#upload', { name: 'letter.png', mimeType: 'image/png', buffer: chosen.png });
    await page.waitForFunction(() => document.getElementById('digit')!.dataset.label !== '');
    const shown = await page.$eval('#digit', (e) => ({ text: e.textContent, label: (e as HTMLElement).dataset.label }));
    assert.deepEqual(shown, { text: chosen.answer.className, label: String(chosen.answer.label) });
    assert.equal(await page.getAttribute('#bars li.top', 'data-class-name'), chosen.answer.className);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
