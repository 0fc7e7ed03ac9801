// `digitnet predict`: the class of each input: PNG or JPEG files (made into the model's input by the
// preprocessing its model.json records: MNIST's for 28x28x1 models), folders of them, or CSV files of
// unlabeled rows (already in MNIST's form). One line per input with the class's name and its probability,
// JSON lines with --json (`label` the class index, `className` its name, `top` the three most probable), or
// Kaggle's ImageId,Label file with --submission.

import { Command } from 'commander';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { conformSet } from '../../data/conform.js';
import { readMnistCsv, type PixelRange } from '../../data/csv.js';
import { pixelsPer } from '../../data/idx.js';
import { readImageFile } from '../../data/images.js';
import { namedTop, namesAreIndices, prepareImage, type InputSpec } from '../../data/model-input.js';
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
    .option('--json', 'one JSON object per line: {"input", "label", "className", "probabilities", "top"}')
    .option('--submission <file>', "also write Kaggle's ImageId,Label CSV")
    .option('--pixel-range <range>', PIXEL_RANGE_HELP, pixelRangeOption)
    .action(async (inputs: string[], f: { model: string; json?: boolean; submission?: string; pixelRange?: PixelRange }) => {
      const { model, spec } = await loadDigitModel(f.model);
      const items: Item[] = [];
      for (const input of inputs) items.push(...(await readInput(input, spec, f.pixelRange)));
      const labels = printPredictions(model, spec, items, f.json === true);
      if (f.submission) {
        await writeFile(f.submission, ['ImageId,Label', ...labels.map((l, i) => `${i + 1},${l}`)].join('\n') + '\n');
        if (!f.json) console.log(`Submission written to ${f.submission} (${labels.length} rows)`);
      }
    });
}

async function readInput(input: string, spec: InputSpec, pixelRange?: PixelRange): Promise<Item[]> {
  if (!existsSync(input)) throw new Error(`${input}: no such file or folder`);
  if (statSync(input).isDirectory()) {
    const names = readdirSync(input).filter((n) => !n.startsWith('.') && IMAGE_EXT.has(extname(n).toLowerCase())).sort(naturalOrder);
    if (names.length === 0) throw new Error(`${input}: the folder holds no .png, .jpg or .jpeg files`);
    return names.map((n) => imageItem(join(input, n), spec));
  }
  if (extname(input).toLowerCase() === '.csv') {
    // Rows are 28x28 gray images: made into the model's shape when it takes another.
    const rows = conformSet(await readMnistCsv(input, { kind: 'auto', pixelRange }), [spec.height, spec.width, spec.channels]);
    const per = pixelsPer(rows);
    return Array.from({ length: rows.count }, (_, r) => {
      const px = new Float32Array(per);
      for (let i = 0; i < per; i++) px[i] = rows.images[r * per + i] / 255;
      return { input: `${input}:${rows.lines[r]}`, pixels: px };
    });
  }
  return [imageItem(input, spec)];
}

function imageItem(path: string, spec: InputSpec): Item {
  const { pixels, empty } = prepareImage(readImageFile(path), spec);
  if (empty) throw new Error(`${path}: no ${spec.preprocess === 'mnist' && namesAreIndices(spec.classNames) ? 'digit' : 'ink'} found (the image is blank: no ink stands out from its background)`);
  return { input: path, pixels };
}

/** Predicts in batches and prints as it goes; returns the labels. */
function printPredictions(model: Model, spec: InputSpec, items: Item[], json: boolean): number[] {
  const labels: number[] = [];
  const width = Math.min(60, Math.max(...items.map((it) => it.input.length)));
  const per = spec.height * spec.width * spec.channels;
  const classes = model.outputShape[0];
  const plain = namesAreIndices(spec.classNames);
  const bs = 256;
  for (let s = 0; s < items.length; s += bs) {
    const batch = items.slice(s, s + bs);
    const x = new Float32Array(batch.length * per);
    batch.forEach((it, i) => x.set(it.pixels, i * per));
    const probs = model.predict(new Tensor(x, [batch.length, spec.height, spec.width, spec.channels])).data;
    batch.forEach((it, i) => {
      const p = Array.from(probs.subarray(i * classes, (i + 1) * classes));
      const top = namedTop(p, spec.classNames, 3);
      const label = top[0].index;
      labels.push(label);
      if (json) {
        console.log(JSON.stringify({
          input: it.input, label, className: top[0].className, probabilities: p.map((v) => Number(v.toFixed(6))),
          top: top.map((t) => ({ ...t, p: Number(t.p.toFixed(6)) })),
        }));
      } else {
        console.log(`${it.input.padEnd(width)}  ${plain ? label : `${top[0].className} (${label})`}  (${(p[label] * 100).toFixed(1)}%)`);
      }
    });
  }
  return labels;
}

function naturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
