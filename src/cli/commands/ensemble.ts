// `digitnet ensemble RUN_DIR... --out DIR`: averages the softmax outputs of trained runs (any architectures
// taking the same images) into one model, evaluated and written as a run folder with its report.

import { Command } from 'commander';
import { relative } from 'node:path';
import { ensembleRun } from '../../train/ensemble-run.js';
import { intOption } from '../options.js';
import { progressPrinter } from '../progress.js';

export function ensembleCommand(): Command {
  return new Command('ensemble')
    .description('average trained runs into one model (an Average layer on their outputs) and write it as a run folder')
    .argument('<runs...>', 'run folders (or model folders) to average, at least 2')
    .option('--out <dir>', 'run directory (default runs/<date-time>)')
    .option('--overwrite', 'replace the run directory given with --out if it exists')
    .option('--data <mnist|path>', 'test data: mnist (embedded test set), a labelled CSV file, or a folder of CSV or IDX files', 'mnist')
    .option('--test-limit <n>', 'use only the first N test images', intOption(1))
    .action(async (runs: string[], f: { out?: string; overwrite?: boolean; data: string; testLimit?: number }) => {
      const result = await ensembleRun(runs, { out: f.out, overwrite: f.overwrite, data: f.data, testLimit: f.testLimit }, progressPrinter());
      console.log(`Ensemble of ${runs.length} written to ${relative(process.cwd(), result.runDir) || '.'}/`);
    });
}
