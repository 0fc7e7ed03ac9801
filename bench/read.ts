// How well `readNumber` reads whole numbers: on numbers composed from MNIST test digits (2 to 8 digits,
// random sizes, gaps, overlaps and baselines) and on photos of such numbers (dark ink on textured, unevenly
// lit paper, shadows, blur, noise, JPEG). Prints, per set: how often the right number of digits is found,
// sequence accuracy (every digit right), digit accuracy (digits read right, in order, out of the digits
// written), and, as the ceiling, the model's accuracy on the same digits one at a time.
// Usage: node dist/bench/read.js --model DIR [--count N] [--photos N] [--seed S] [--json] [--save DIR]

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeImage, encodeGrayPng, encodeJpeg } from '../src/data/images.js';
import { loadMnist } from '../src/data/mnist.js';
import { toMnist, type RawImage } from '../src/data/preprocess.js';
import { loadModel, Tensor, type Sequential } from '../src/index.js';
import { composedSet, photoSet, readNumber } from '../src/read/index.js';

interface Item {
  image: RawImage;
  text: string;
  sources: number[];
}

interface Figures {
  set: string;
  numbers: number;
  digits: number;
  countRight: number;
  sequenceAccuracy: number;
  digitAccuracy: number;
  isolatedDigitAccuracy: number;
  msPerNumber: number;
}

function arg(name: string, def?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? def : process.argv[i + 1];
}

/** Length of the longest common subsequence: the digits read right, in order. */
export function commonDigits(a: string, b: string): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let diag = 0;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = a[i - 1] === b[j - 1] ? diag + 1 : Math.max(row[j], row[j - 1]);
      diag = up;
    }
  }
  return row[b.length];
}

function measure(set: string, items: Item[], model: Sequential, isolated: number, save?: string): Figures {
  let count = 0;
  let exact = 0;
  let right = 0;
  let written = 0;
  const times: number[] = [];
  items.forEach((it, k) => {
    const t0 = performance.now();
    const r = readNumber(it.image, model);
    times.push(performance.now() - t0);
    if (r.digits.length === it.text.length) count++;
    if (r.number === it.text) exact++;
    right += commonDigits(r.number, it.text);
    written += it.text.length;
    if (save && r.number !== it.text) saveMiss(save, set, k, it, r.number);
  });
  times.sort((a, b) => a - b);
  return {
    set, numbers: items.length, digits: written, countRight: count / items.length, sequenceAccuracy: exact / items.length,
    digitAccuracy: right / written, isolatedDigitAccuracy: isolated, msPerNumber: times[times.length >> 1],
  };
}

function saveMiss(dir: string, set: string, k: number, it: Item, read: string): void {
  mkdirSync(dir, { recursive: true });
  const name = join(dir, `${set}-${k}-${it.text}-read-${read || 'nothing'}`);
  if (it.image.channels === 1) writeFileSync(`${name}.png`, encodeGrayPng(it.image.data as Uint8Array, it.image.width, it.image.height));
  else writeFileSync(`${name}.jpg`, encodeJpeg(it.image, 92));
}

/** The model's accuracy on the same MNIST digits, each alone, through the same preprocessing. */
function isolatedAccuracy(model: Sequential, sources: number[]): number {
  const { test } = loadMnist();
  const x = new Float32Array(sources.length * 784);
  sources.forEach((s, i) => x.set(toMnist({ data: test.images.subarray(s * 784, (s + 1) * 784), width: 28, height: 28, channels: 1 }, { invert: false }).pixels, i * 784));
  const top = model.predict(new Tensor(x, [sources.length, 28, 28, 1])).argMax();
  return sources.reduce((n, s, i) => n + (top[i] === test.labels[s] ? 1 : 0), 0) / sources.length;
}

function print(f: Figures): void {
  const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;
  console.log(`${f.set.padEnd(9)} ${String(f.numbers).padStart(6)} numbers ${String(f.digits).padStart(6)} digits | right count ${pct(f.countRight).padStart(6)} | sequence ${pct(f.sequenceAccuracy).padStart(6)} | digit ${pct(f.digitAccuracy).padStart(6)} | digits alone ${pct(f.isolatedDigitAccuracy).padStart(6)} | ${f.msPerNumber.toFixed(1)} ms/number (median)`);
}

async function main(): Promise<void> {
  const dir = arg('model');
  if (!dir) throw new Error('usage: node dist/bench/read.js --model DIR [--count N] [--photos N] [--seed S] [--json] [--save DIR]');
  const model = await loadModel(dir.endsWith('model') ? dir : join(dir, 'model'));
  const count = Number(arg('count', '1000'));
  const photos = Number(arg('photos', '300'));
  const seed = Number(arg('seed', '1'));
  const save = arg('save');
  const { test } = loadMnist();
  const results: Figures[] = [];
  if (count > 0) {
    const gap = (arg('gap') ?? '').split(',').map(Number);
    const items = composedSet(test, { count, seed, compose: gap.length === 2 ? { gap: gap as [number, number] } : {} });
    results.push(measure('composed', items, model, isolatedAccuracy(model, items.flatMap((i) => i.sources)), save));
  }
  if (photos > 0) {
    const items = photoSet(test, { count: photos, seed: seed + 1 }).map((p) => ({ ...p, image: decodeImage(encodeJpeg(p.image, p.jpegQuality)) }));
    results.push(measure('photos', items, model, isolatedAccuracy(model, items.flatMap((i) => i.sources)), save));
  }
  for (const r of results) process.argv.includes('--json') ? console.log(JSON.stringify(r)) : print(r);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
