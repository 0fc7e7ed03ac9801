// How fast the drawing page predicts in Chromium: the seed CNN (225,034 parameters) served on loopback, three
// strokes drawn with the mouse, and the page's own per-frame timing (preprocessing + prediction) read from
// its #timing element. Prints the median, p90 and maximum; a measurement, never a test.
//
//   node dist/bench/page.js [--strokes N]      (needs Chromium at /usr/bin/chromium or CHROMIUM_PATH)

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { saveModel } from '../src/engine/io/files.js';
import { seedCnn } from '../src/train/zoo/index.js';
import { createServer } from '../src/server/app.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function main(): Promise<void> {
  const i = process.argv.indexOf('--strokes');
  const strokes = i >= 0 ? Number(process.argv[i + 1]) : 6;
  const tmp = await mkdtemp(join(tmpdir(), 'digitnet-page-bench-'));
  await saveModel(seedCnn({ seed: 1 }), join(tmp, 'model')); // timing does not depend on the weights' values
  const app = await createServer({ modelDir: join(tmp, 'model'), staticDir: join(root, 'dist', 'web') });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForSelector('body.ready');
    await page.evaluate(() => {
      const times: number[] = [];
      new MutationObserver(() => times.push(Number(document.getElementById('timing')!.dataset.ms))).observe(document.getElementById('timing')!, { attributes: true, attributeFilter: ['data-ms'] });
      Object.assign(window, { inferenceTimes: times });
    });
    const box = (await page.locator('#pad').boundingBox())!;
    for (let s = 0; s < strokes; s++) {
      const r = 0.15 + 0.05 * (s % 3);
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.2);
      await page.mouse.down();
      for (let k = 0; k <= 48; k++) {
        const a = (k / 48) * 2 * Math.PI;
        await page.mouse.move(box.x + box.width * (0.5 + r * Math.sin(a)), box.y + box.height * (0.5 - 0.3 * Math.cos(a)));
      }
      await page.mouse.up();
    }
    await page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
    const times = (await page.evaluate(() => (window as unknown as { inferenceTimes: number[] }).inferenceTimes)).filter((x) => x > 0).sort((a, b) => a - b);
    const q = (f: number): number => times[Math.min(times.length - 1, Math.floor(f * times.length))];
    console.log(`page, seed CNN in Chromium, preprocessing + prediction per frame: median ${q(0.5).toFixed(2)} ms, p90 ${q(0.9).toFixed(2)} ms, max ${times[times.length - 1].toFixed(2)} ms over ${times.length} predictions`);
  } finally {
    await browser.close();
    await app.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
