// `digitnet data export-csv`: writes the embedded MNIST as mnist_train.csv and mnist_test.csv (label
// first, then 784 pixels 0..255, no header), so the CSV route can be run from scratch.
// `digitnet data letters`: writes a handwritten-letters image folder (A-Z from Debian's handwriting fonts,
// data/letters.ts), whole or not at all, for `digitnet train --data DIR`.

import { Command } from 'commander';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { csvLines } from '../../data/csv.js';
import type { ImageSet } from '../../data/idx.js';
import { loadMnist } from '../../data/mnist.js';
import { encodeGrayPng } from '../../data/images.js';
import { fontSlug, LETTER_FONTS, LETTER_SIDE, LETTERS, renderLetters } from '../../data/letters.js';
import { cap, CSV_TEST, CSV_TRAIN } from '../../data/sources.js';
import { abandonPartial, beginPartial, commitPartial, makeDirs } from '../../engine/io/atomic-dir.js';
import { intOption } from '../options.js';

export function dataCommand(): Command {
  const data = new Command('data').description('data utilities');
  data.command('export-csv')
    .description(`write the embedded MNIST as ${CSV_TRAIN} and ${CSV_TEST}`)
    .option('--out <dir>', 'folder to write into', '.')
    .option('--limit <n>', 'write only the first N images of each set', intOption(1))
    .option('--header', "write Kaggle's header line (label,pixel0,...,pixel783)")
    .action(async (f: { out: string; limit?: number; header?: boolean }) => {
      const m = loadMnist();
      await makeDirs(f.out);
      for (const [name, set] of [[CSV_TRAIN, m.train], [CSV_TEST, m.test]] as [string, ImageSet][]) {
        const path = join(f.out, name);
        const rows = cap(set, f.limit);
        await writeCsv(path, csvLines(rows, f.header ? 'kaggle' : 'none'));
        console.log(`${relative(process.cwd(), path) || path}: ${rows.count.toLocaleString('en-US')} rows`);
      }
    });
  data.command('letters')
    .description(`write handwritten letters A-Z rendered from ${LETTER_FONTS.length} handwriting fonts, one folder per letter, for train --data`)
    .requiredOption('--out <dir>', 'the image folder to write (one sub-folder per letter)')
    .option('--count <n>', 'images per letter', intOption(1), 300)
    .option('--seed <s>', 'seed of the variations', intOption(0), 1)
    .option('--overwrite', 'replace --out if it exists')
    .action(async (f: { out: string; count: number; seed: number; overwrite?: boolean }) => {
      const out = resolve(f.out);
      if (existsSync(out) && !f.overwrite) throw new Error(`--out ${f.out}: the folder exists; pass --overwrite to replace it`);
      const started = performance.now();
      const { dir } = await beginPartial(out);
      try {
        for (const l of LETTERS) mkdirSync(join(dir, l));
        renderLetters(f.count, f.seed, (img) => writeFileSync(join(dir, img.letter, `${img.letter}-${String(img.index).padStart(4, '0')}-${fontSlug(img.font)}.png`), encodeGrayPng(img.pixels, LETTER_SIDE, LETTER_SIDE)));
        await commitPartial(out);
      } catch (e) {
        await abandonPartial(out);
        throw e;
      }
      const n = f.count * LETTERS.length;
      console.log(`${relative(process.cwd(), out) || out}/: ${n.toLocaleString('en-US')} images (${f.count} per letter, ${LETTER_SIDE}x${LETTER_SIDE} PNG, ${LETTER_FONTS.length} fonts) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      console.log(`Train on it: digitnet train --data ${f.out}`);
    });
  return data;
}

/** Streams the lines to a temporary file renamed into place, so a half-written CSV never has the real name. */
async function writeCsv(path: string, lines: Iterable<string>): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const out = createWriteStream(tmp);
  let chunk = '';
  for (const line of lines) {
    chunk += line;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  await rename(tmp, path);
}
