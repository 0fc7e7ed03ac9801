// How well `readNumber` reads whole numbers: on numbers composed from MNIST test digits (2 to 8 digits,
// random sizes, gaps, overlaps and baselines) and on photos of such numbers (dark ink on textured, unevenly
// lit paper, shadows, blur, noise, JPEG). Prints, per set: how often the right number of digits is found,
// sequence accuracy (every digit right), digit accuracy (digits read right, in order, out of the digits
// written), how many neighbouring digits touch, and, as the ceiling, the model's accuracy on the same
// digits one at a time. --crowded adds a set with more overlap (gaps from -0.15 of a digit's height).
// Usage: npm run bench:read -- --model DIR [--count N] [--photos N] [--seed S] [--crowded] [--json] [--save DIR]

import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { decodeImage, encodeGrayPng, encodeJpeg } from '../src/data/images.js';
import { loadMnist } from '../src/data/mnist.js';
import { toMnist, type RawImage } from '../src/data/preprocess.js';
import { Tensor, type Model } from '../src/index.js';
import { loadDigitModel } from '../src/cli/commands/model.js';
import { composedSet, photoSet, readNumber, scoreReadings, type ReadScores } from '../src/read/index.js';

interface Item {
  image: RawImage;
  text: string;
  sources: number[];
  touching: number;
}

interface Figures extends ReadScores {
  set: string;
  numbers: number;
  digits: number;
  touchingPairs: number;
  isolatedDigitAccuracy: number;
  msPerNumber: number;
}

function arg(name: string, def?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? def : process.argv[i + 1];
}

function measure(set: string, items: Item[], model: Model, save?: string): Figures {
  const read: string[] = [];
  const times: number[] = [];
  items.forEach((it, k) => {
    const t0 = performance.now();
    const r = readNumber(it.image, model);
    times.push(performance.now() - t0);
    read.push(r.number);
    if (save && r.number !== it.text) saveMiss(save, `${set}-${k}-${it.text}-read-${r.number || 'nothing'}`, it.image);
  });
  times.sort((a, b) => a - b);
  const pairs = items.reduce((n, it) => n + it.text.length - 1, 0);
  return {
    set, numbers: items.length, digits: items.reduce((n, it) => n + it.text.length, 0),
    ...scoreReadings(items.map((it) => it.text), read),
    touchingPairs: items.reduce((n, it) => n + it.touching, 0) / pairs,
    isolatedDigitAccuracy: isolatedAccuracy(model, items.flatMap((i) => i.sources)), msPerNumber: times[times.length >> 1],
  };
}

function saveMiss(dir: string, name: string, image: RawImage): void {
  mkdirSync(dir, { recursive: true });
  if (image.channels === 1) writeFileSync(join(dir, `${name}.png`), encodeGrayPng(image.data as Uint8Array, image.width, image.height));
  else writeFileSync(join(dir, `${name}.jpg`), encodeJpeg(image, 92));
}

/** The model's accuracy on the same MNIST digits, each alone, through the same preprocessing. */
function isolatedAccuracy(model: Model, sources: number[]): number {
  const { test } = loadMnist();
  const x = new Float32Array(sources.length * 784);
  sources.forEach((s, i) => x.set(toMnist({ data: test.images.subarray(s * 784, (s + 1) * 784), width: 28, height: 28, channels: 1 }, { invert: false }).pixels, i * 784));
  const top = model.predict(new Tensor(x, [sources.length, 28, 28, 1])).argMax();
  return sources.reduce((n, s, i) => n + (top[i] === test.labels[s] ? 1 : 0), 0) / sources.length;
}

function print(f: Figures): void {
  const pct = (v: number): string => `${(v * 100).toFixed(1)}%`.padStart(6);
  console.log(`${f.set.padEnd(8)} ${String(f.numbers).padStart(5)} numbers, ${String(f.digits).padStart(5)} digits, ${pct(f.touchingPairs)} of neighbours touch | right count ${pct(f.countRight)} | sequence ${pct(f.sequenceAccuracy)} | digit ${pct(f.digitAccuracy)} | digits alone ${pct(f.isolatedDigitAccuracy)} | ${f.msPerNumber.toFixed(1)} ms/number (median)`);
}

async function main(): Promise<void> {
  const dir = arg('model');
  if (!dir) throw new Error('usage: node dist/bench/read.js --model DIR [--count N] [--photos N] [--seed S] [--crowded] [--json] [--save DIR]');
  const { model } = await loadDigitModel(dir);
  const count = Number(arg('count', '1000'));
  const photos = Number(arg('photos', '300'));
  const seed = Number(arg('seed', '1'));
  const save = arg('save');
  const { test } = loadMnist();
  const results: Figures[] = [];
  if (count > 0) results.push(measure('composed', composedSet(test, { count, seed }), model, save));
  if (count > 0 && process.argv.includes('--crowded')) {
    results.push(measure('crowded', composedSet(test, { count, seed: seed + 2, compose: { gap: [-0.15, 0.5] } }), model, save));
  }
  if (photos > 0) {
    const items = photoSet(test, { count: photos, seed: seed + 1 }).map((p) => ({ ...p, image: decodeImage(encodeJpeg(p.image, p.jpegQuality)) }));
    results.push(measure('photos', items, model, save));
  }
  for (const r of results) {
    if (process.argv.includes('--json')) console.log(JSON.stringify(r));
    else print(r);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
