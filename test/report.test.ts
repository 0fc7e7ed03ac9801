// The report of a real (short) training run: figures as SVG and PNG with their text rendered, one
// self-contained report.html holding every figure and table, and that page opened in headless Chromium
// with every figure loaded and visible.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { PNG } from 'pngjs';
import { chromium } from 'playwright-core';
import { svgToPng } from '../src/report/render.js';
import { duration, shownSource } from '../src/report/html.js';
import { FIGURE_NAMES } from '../src/report/index.js';
import { trainRun, type RunResult } from '../src/train/run.js';
import { tempDir } from './helpers/temp.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const dir = tempDir('digitnet-report-');
const RUN = join(dir, 'run');
let run: RunResult;
let html = '';

before(async () => {
  run = await trainRun({ limit: 400, testLimit: 300, epochs: 2, batchSize: 32, out: RUN });
  html = readFileSync(join(RUN, 'report.html'), 'utf8');
});

/** The SVG documents embedded in report.html, by figure id. */
function embedded(): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of html.matchAll(/<figure id="fig-([\w-]+)"><img alt="[^"]*" src="data:image\/svg\+xml;base64,([^"]+)">/g)) {
    out.set(m[1], Buffer.from(m[2], 'base64').toString('utf8'));
  }
  return out;
}

test('report.html is self-contained and embeds every figure (the run is augmented, as by default)', () => {
  assert.doesNotMatch(html, /<script|<link|src="(?!data:)|url\((?!data:)/, 'no external resources or scripts');
  const figs = embedded();
  assert.deepEqual([...figs.keys()].sort(), [...FIGURE_NAMES, 'augmented'].sort());
  for (const [name, svg] of figs) {
    assert.match(svg, /^<svg/, name);
    assert.equal(svg, readFileSync(join(RUN, 'figures', `${name}.svg`), 'utf8'), `${name}: the page shows the file's figure`);
  }
});

test('the figures show the run: curves per epoch, confusion counts, per-class scores, image grids', () => {
  const figs = embedded();
  const t = run.files.metrics.test;
  assert.match(figs.get('loss')!, /training/);
  assert.match(figs.get('loss')!, /validation/);
  assert.match(figs.get('accuracy')!, />epoch</);
  // The heatmap prints every count in its cell.
  const cellTexts = [...figs.get('confusion')!.matchAll(/<text[^>]*>(\d+)<\/text>/g)].map((m) => Number(m[1]));
  for (const v of t.confusionMatrix.flat()) assert.ok(cellTexts.includes(v), `count ${v} not drawn`);
  assert.match(figs.get('confusion')!, />predicted</);
  assert.match(figs.get('confusion')!, />actual</);
  assert.match(figs.get('per-class')!, />recall</);
  const samples = figs.get('samples')!;
  assert.equal((samples.match(/<image /g) ?? []).length, 40);
  const s0 = run.files.samples.samples[0];
  assert.ok(samples.includes(`true ${s0.label} · pred ${s0.predicted}`));
  const wrong = run.files.samples.misclassified;
  assert.equal((figs.get('misclassified')!.match(/<image /g) ?? []).length, wrong.length);
  assert.ok(wrong.every((w) => w.label !== w.predicted));
  assert.ok(figs.get('misclassified')!.includes(`true ${wrong[0].label} → pred ${wrong[0].predicted}`));
  // The learning rate of each epoch (the default cosine: its last step's rate, at each epoch's end).
  const lr = figs.get('learning-rate')!;
  assert.match(lr, />learning rate</);
  assert.equal(run.files.history.learning_rate!.length, 2);
  assert.ok(run.files.history.learning_rate![0] > run.files.history.learning_rate![1], 'the cosine decays');
  // The augmented grid: one row per digit, the original then 7 augmented versions.
  const aug = run.files.samples.augmented!;
  assert.deepEqual(aug.map((r) => r.label), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal((figs.get('augmented')!.match(/<image /g) ?? []).length, 10 * 8);
  assert.ok(aug.every((r) => r.variants.every((v) => v !== r.original)), 'every version differs from its original');
});

test('report.html names the most confused pairs and holds the summary, settings, data, time, backend and metrics', () => {
  const t = run.files.metrics.test;
  assert.equal(t.mostConfused.length, 3);
  for (const p of t.mostConfused) assert.ok(html.includes(`<b>${p.actual}</b> taken for <b>${p.predicted}</b>: ${p.count} time`), `pair ${p.actual}→${p.predicted}`);
  for (const s of ['conv2d (Conv2D)', 'dense_1 (Dense)', '225,034', '(None, 26, 26, 32)', 'batch size', '<td>32</td>', 'learning rate 0.002, schedule cosine', 'rotate=10,zoom=0.1,shift=2,shear=10',
    'training images', '<td>360</td>', 'validation images', '<td>40</td>', 'test images', '<td>300</td>', 'images/s', 'backend',
    run.files.run.backend, `${(t.accuracy * 100).toFixed(2)}%`, 'precision    recall  f1-score   support', 'weighted avg']) {
    assert.ok(html.includes(s), `report.html lacks ${JSON.stringify(s)}`);
  }
});

test('PNG figures are rendered at twice the SVG size with their text drawn in a real font', () => {
  for (const name of FIGURE_NAMES) {
    const svg = readFileSync(join(RUN, 'figures', `${name}.svg`), 'utf8');
    const width = Number(/<svg[^>]*width="([\d.]+)"/.exec(svg)![1]);
    const png = PNG.sync.read(readFileSync(join(RUN, 'figures', `${name}.png`)));
    assert.equal(png.width, Math.round(width * 2), name);
  }
  // Text alone: without a font resvg would draw nothing.
  const text = svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="120" height="30"><text x="4" y="22" font-size="18" font-family="DejaVu Sans">0123 abc</text></svg>', 1);
  const img = PNG.sync.read(text);
  let dark = 0;
  for (let i = 0; i < img.data.length; i += 4) if (img.data[i] < 100) dark++;
  assert.ok(dark > 100, `only ${dark} dark pixels: no font was found for the figures' text`);
});

test('the report opens in headless Chromium with every figure loaded', async () => {
  // Never a skip: `npm test` installs Chromium first (scripts/pretest.mjs).
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run \`npm test\` as root to install it, or \`apt-get install -y chromium\``);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`file://${join(RUN, 'report.html')}`, { waitUntil: 'load' });
    const images = await page.$$eval('figure img', (els) => els.map((e) => {
      const img = e as HTMLImageElement;
      const r = img.getBoundingClientRect();
      return { alt: img.alt, ok: img.complete && img.naturalWidth > 0, width: r.width, height: r.height };
    }));
    assert.equal(images.length, FIGURE_NAMES.length + 1);
    for (const i of images) {
      assert.ok(i.ok, `${i.alt} did not load`);
      assert.ok(i.width > 300 && i.height > 150, `${i.alt} is shown at ${i.width}x${i.height}`);
    }
    const shot = await page.screenshot({ fullPage: true });
    writeFileSync(join(RUN, 'report-screenshot.png'), shot);
    const png = PNG.sync.read(shot);
    assert.ok(png.height > 2500, `the page is only ${png.height} px tall`);
  } finally {
    await browser.close();
  }
});

test('paths in the report show their file names only, whatever their folders', () => {
  const cases: [string, string][] = [
    ['/home/ann/digits/train.csv', 'train.csv'],
    ['../runs/res-41', 'res-41'],
    ['members/seed-7', 'seed-7'],
    ['C:\\data\\x.csv', 'x.csv'],
    ['MNIST training set (embedded)', 'MNIST training set (embedded)'],
    ['digits.csv (labelled); test: /tmp/q/test.csv', 'digits.csv (labelled); test: test.csv'],
  ];
  for (const [path, shown] of cases) assert.equal(shownSource(path), shown, path);
});

test('durations round once, at the unit they show: no "1 min 60 s"', () => {
  assert.equal(duration(12.34), '12.3 s');
  assert.equal(duration(59.96), '1 min 0 s');
  assert.equal(duration(65.4), '1 min 5 s');
  assert.equal(duration(119.6), '2 min 0 s');
  assert.equal(duration(3599.6), '1 h 0 min');
  assert.equal(duration(3 * 3600 + 29.6 * 60), '3 h 30 min');
});
