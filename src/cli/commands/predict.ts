// `digitnet predict`: the digit in each input: PNG or JPEG files (turned into MNIST's form first), folders
// of them, or CSV files of unlabeled rows (already in MNIST's form). One line per input with the digit
// and its probability, JSON lines with --json, or Kaggle's ImageId,Label file with --submission.

import { Command } from 'commander';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { PIXELS, readMnistCsv, type PixelRange } from '../../data/csv.js';
import { readImageFile } from '../../data/images.js';
import { toMnist } from '../../data/preprocess.js';
import type { Model } from '../../engine/graph/model.js';
import { Tensor } from '../../engine/tensor.js';
import { PIXEL_RANGE_HELP, pixelRangeOption } from '../options.js';
import { loadDigitModel } from './model.js';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);

interface Item {
  input: string;
  pixels: Float32Array;
}

export function predictCommand(): Command {
  return new Command('predict')
    .description('predict the digit in images (PNG, JPEG), folders of them, or CSV files of unlabeled rows')
    .requiredOption('--model <dir>', 'model folder (model.json) or run folder')
    .argument('<input...>', 'image files, folders of images, or CSV files (784 pixel columns per row)')
    .option('--json', 'one JSON object per line: {"input", "label", "probabilities"}')
    .option('--submission <file>', "also write Kaggle's ImageId,Label CSV")
    .option('--pixel-range <range>', PIXEL_RANGE_HELP, pixelRangeOption)
    .action(async (inputs: string[], f: { model: string; json?: boolean; submission?: string; pixelRange?: PixelRange }) => {
      const { model } = await loadDigitModel(f.model);
      const items: Item[] = [];
      for (const input of inputs) items.push(...(await readInput(input, f.pixelRange)));
      const labels = printPredictions(model, items, f.json === true);
      if (f.submission) {
        await writeFile(f.submission, ['ImageId,Label', ...labels.map((l, i) => `${i + 1},${l}`)].join('\n') + '\n');
        if (!f.json) console.log(`Submission written to ${f.submission} (${labels.length} rows)`);
      }
    });
}

async function readInput(input: string, pixelRange?: PixelRange): Promise<Item[]> {
  if (!existsSync(input)) throw new Error(`${input}: no such file or folder`);
  if (statSync(input).isDirectory()) {
    const names = readdirSync(input).filter((n) => !n.startsWith('.') && IMAGE_EXT.has(extname(n).toLowerCase())).sort(naturalOrder);
    if (names.length === 0) throw new Error(`${input}: the folder holds no .png, .jpg or .jpeg files`);
    return names.map((n) => imageItem(join(input, n)));
  }
  if (extname(input).toLowerCase() === '.csv') {
    const rows = await readMnistCsv(input, { kind: 'auto', pixelRange });
    return Array.from({ length: rows.count }, (_, r) => {
      const px = new Float32Array(PIXELS);
      for (let i = 0; i < PIXELS; i++) px[i] = rows.images[r * PIXELS + i] / 255;
      return { input: `${input}:${rows.lines[r]}`, pixels: px };
    });
  }
  return [imageItem(input)];
}

function imageItem(path: string): Item {
  const { pixels, empty } = toMnist(readImageFile(path), { invert: 'auto' });
  if (empty) throw new Error(`${path}: no digit found (the image is blank: no ink stands out from its background)`);
  return { input: path, pixels };
}

/** Predicts in batches and prints as it goes; returns the labels. */
function printPredictions(model: Model, items: Item[], json: boolean): number[] {
  const labels: number[] = [];
  const width = Math.min(60, Math.max(...items.map((it) => it.input.length)));
  const bs = 256;
  for (let s = 0; s < items.length; s += bs) {
    const batch = items.slice(s, s + bs);
    const x = new Float32Array(batch.length * PIXELS);
    batch.forEach((it, i) => x.set(it.pixels, i * PIXELS));
    const probs = model.predict(new Tensor(x, [batch.length, 28, 28, 1])).data;
    batch.forEach((it, i) => {
      const p = Array.from(probs.subarray(i * 10, i * 10 + 10));
      const label = p.indexOf(Math.max(...p));
      labels.push(label);
      if (json) console.log(JSON.stringify({ input: it.input, label, probabilities: p.map((v) => Number(v.toFixed(6))) }));
      else console.log(`${it.input.padEnd(width)}  ${label}  (${(p[label] * 100).toFixed(1)}%)`);
    });
  }
  return labels;
}

function naturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
