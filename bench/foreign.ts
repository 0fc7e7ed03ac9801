// The foreign-digit test (data/foreign.ts) for trained runs: accuracy on MNIST test digits re-rendered with
// thicker and thinner strokes, slants, as dark ink on paper, through the user-image preprocessing, per style,
// next to each run's accuracy on the MNIST test set itself. Prints a Markdown table (--json: one object per run).
//
//   node dist/bench/foreign.js RUN_DIR... [--count 1000] [--json]

import { foreignDigits, FOREIGN_STYLES } from '../src/data/foreign.js';
import { loadMnist } from '../src/data/mnist.js';
import { evaluateModel } from '../src/eval/evaluate.js';
import { loadModel } from '../src/index.js';
import { readRunFiles, resolveModelDir } from '../src/train/run-files.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const at = args.indexOf('--count');
const count = at >= 0 ? Number(args[at + 1]) : 1000;
const runs = args.filter((a, i) => !a.startsWith('--') && !(at >= 0 && i === at + 1));
if (runs.length === 0) {
  console.error('usage: node dist/bench/foreign.js RUN_DIR... [--count N] [--json]');
  process.exit(2);
}

const set = foreignDigits(loadMnist().test, { count });
const rows: Record<string, number | string>[] = [];
for (const run of runs) {
  const { modelDir, runDir } = resolveModelDir(run);
  const model = await loadModel(modelDir);
  const ev = evaluateModel(model, set);
  const row: Record<string, number | string> = { run, augment: runDir ? readRunFiles(runDir).run.hyperparameters.augment ?? 'none' : '?' };
  if (runDir) row.mnist = readRunFiles(runDir).metrics.test.accuracy;
  FOREIGN_STYLES.forEach((s, k) => {
    let ok = 0;
    for (let i = k * count; i < (k + 1) * count; i++) if (ev.predicted[i] === set.labels[i]) ok++;
    row[s.name] = ok / count;
  });
  row.foreign = ev.metrics.accuracy;
  rows.push(row);
  if (json) console.log(JSON.stringify(row));
}
if (!json) {
  const pct = (v: number | string): string => (typeof v === 'number' ? `${(v * 100).toFixed(2)}%` : v);
  const cols = ['run', 'augment', 'mnist', ...FOREIGN_STYLES.map((s) => s.name), 'foreign'];
  console.log(`Foreign digits: the first ${count.toLocaleString('en-US')} MNIST test digits in ${FOREIGN_STYLES.length} styles (${set.count.toLocaleString('en-US')} images)\n`);
  console.log(`| ${cols.join(' | ')} |`);
  console.log(`| ${cols.map((c, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`);
  for (const r of rows) console.log(`| ${cols.map((c) => pct(r[c] ?? '')).join(' | ')} |`);
}
