// `digitnet data export-csv`: writes the embedded MNIST as mnist_train.csv and mnist_test.csv (label
// first, then 784 pixels 0..255, no header), so the CSV route can be run from scratch.

import { Command } from 'commander';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { csvLines } from '../../data/csv.js';
import type { ImageSet } from '../../data/idx.js';
import { loadMnist } from '../../data/mnist.js';
import { cap, CSV_TEST, CSV_TRAIN } from '../../data/sources.js';
import { makeDirs } from '../../engine/io/atomic-dir.js';
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
