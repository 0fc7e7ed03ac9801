// Ensemble runs: `digitnet ensemble RUN... --out DIR` averages trained runs into one model and writes it as a
// run folder (model/, metrics, samples, report); `digitnet train --ensemble K` trains K members with seeds
// S, S+1, ... one after another inside the ensemble's own unfinished folder (members/seed-S/, each a whole run
// with its own backup) and then averages them. A killed ensemble resumes member by member. Node-only.

import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { loadTestData } from '../data/sources.js';
import type { Model } from '../engine/graph/model.js';
import { loadModel, saveModel } from '../engine/io/files.js';
import { describeAgreement, memberAgreement } from '../eval/agreement.js';
import { evaluateModel, shownImages, testMetricsJson } from '../eval/evaluate.js';
import { buildReport } from '../report/index.js';
import { DEFAULTS } from './defaults.js';
import { buildEnsemble, memberPrefix } from './ensemble.js';
import type { ProgressListener } from './progress.js';
import { settle, type TrainOptions } from './run-config.js';
import {
  abandonRun, beginRun, claimResumable, commitRun, hasInterruptedRun, MODEL_DIR, newRunDir, readRunFiles, resolveModelDir, writeRunFiles, type RunFiles,
} from './run-files.js';
import { trainRun, type RunResult } from './run.js';

export const MEMBERS_DIR = 'members';
const ENSEMBLE_FILE = 'ensemble.json';

export interface EnsembleOptions {
  out?: string;
  overwrite?: boolean;
  /** The test data (default the embedded MNIST's test set). */
  data?: string;
  testLimit?: number;
}

/** Averages the runs (or model folders) into one model and writes it as a run folder. */
export async function ensembleRun(sources: string[], o: EnsembleOptions, onProgress: ProgressListener = () => {}): Promise<RunResult> {
  if (sources.length < 2) throw new Error(`ensemble: give at least 2 runs to average, got ${sources.length}`);
  const members = await Promise.all(sources.map(async (s) => ({ source: s, model: await loadModel(resolveModelDir(s).modelDir) })));
  const model = buildEnsemble(members);
  const runDir = resolve(o.out ?? newRunDir(DEFAULTS.runsDir));
  const { dir } = await beginRun(runDir, { overwrite: o.overwrite });
  try {
    const files = await writeEnsemble(model, sources, members.map((m) => m.model), dir, runDir, o, onProgress);
    await commitRun(runDir);
    await onProgress({ type: 'done', runDir, testAccuracy: files.metrics.test.accuracy, testLoss: files.metrics.test.loss });
    return { runDir, model, files };
  } catch (e) {
    await abandonRun(runDir);
    throw e;
  }
}

/** What a member run says of itself, for run.json's member list. */
function memberInfo(source: string, model: Model, from: string): NonNullable<RunFiles['run']['members']>[number] {
  const { runDir, modelDir } = resolveModelDir(source);
  const bare = { run: relative(from, runDir ?? modelDir) || '.', arch: model.name, seed: null, testAccuracy: null };
  if (!runDir || !existsSync(join(runDir, 'run.json'))) return bare;
  const f = readRunFiles(runDir);
  return { ...bare, arch: f.run.hyperparameters.arch ?? f.run.model.name, seed: f.run.hyperparameters.seed ?? null, testAccuracy: f.metrics.test.accuracy };
}

async function writeEnsemble(model: Model, sources: string[], memberModels: Model[], dir: string, runDir: string, o: EnsembleOptions, onProgress: ProgressListener): Promise<RunFiles> {
  const started = performance.now();
  const { test, source } = await loadTestData(o.data ?? 'mnist', o.testLimit);
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  await onProgress({ type: 'evaluate', images: test.count });
  // Each member's own prediction, read from its output layer inside the ensemble's pass: how much their
  // mistakes overlap (what averaging can hardly mend), at no extra cost.
  const outputs = memberModels.map((m, k) => memberPrefix(k) + m.outputLayer.name);
  const ev = evaluateModel(model, test, { layers: outputs });
  const agreement = memberAgreement(test.labels, ev.layerPredicted, ev.predicted);
  const text: string[] = [];
  const summary = model.summary((l) => text.push(l));
  const members = sources.map((s, k) => memberInfo(s, memberModels[k], dir));
  for (const m of members) if (m.testAccuracy !== null) await onProgress({ type: 'note', text: `Member ${m.run} (${m.arch}, seed ${m.seed}): test accuracy ${(m.testAccuracy * 100).toFixed(2)}%` });
  await onProgress({ type: 'note', text: describeAgreement(agreement, test.count) });
  const files: RunFiles = {
    history: { epoch: [], loss: [], accuracy: [], val_loss: [], val_accuracy: [], seconds: [], learning_rate: [] },
    metrics: { test: testMetricsJson(ev), train: { loss: NaN, accuracy: NaN }, validation: null },
    run: {
      createdAt: new Date().toISOString(),
      backend: model.backend.name,
      hyperparameters: { epochs: 0, batchSize: 0, learningRate: 0, validationSplit: 0, seed: 0, optimizer: 'none', loss: 'categoricalCrossentropy', arch: `ensemble of ${sources.length}` },
      data: { trainSource: 'none (an average of trained models)', testSource: source, trainImages: 0, validationImages: 0, testImages: test.count, limit: o.testLimit ?? null },
      timing: { loadSeconds: 0, trainSeconds: 0, evaluateSeconds: ev.seconds, totalSeconds: (performance.now() - started) / 1000, trainImagesPerSecond: 0, testImagesPerSecond: ev.imagesPerSecond },
      model: { name: model.name, rows: summary.rows, totalParams: summary.totalParams, text },
      members,
      agreement,
    },
    samples: { ...shownImages(test, ev, DEFAULTS.sampleImages, DEFAULTS.misclassifiedImages), misclassifiedTotal: ev.predicted.reduce((s, p, i) => s + (p === test.labels[i] ? 0 : 1), 0) },
  };
  await saveModel(model, join(dir, MODEL_DIR), { digitnet: { testAccuracy: ev.metrics.accuracy, createdAt: files.run.createdAt, members: members.map((m) => m.run) } });
  await writeRunFiles(dir, files);
  await buildReport(dir, { name: basename(runDir) });
  return files;
}

/**
 * `train --ensemble K`: trains K members (seed S + k) into `<out>/members/seed-<S+k>/`, then averages them into
 * `<out>`. With `resume`, members already whole are kept, an interrupted one is resumed, the rest are trained.
 */
export async function trainEnsembleRun(opts: TrainOptions, k: number, onProgress: ProgressListener = () => {}): Promise<RunResult> {
  if (!Number.isInteger(k) || k < 2) throw new Error(`--ensemble must be a whole number of at least 2, got ${k}`);
  const runDir = resolve(opts.out ?? newRunDir(DEFAULTS.runsDir));
  let dir: string;
  let memberOpts: TrainOptions;
  if (opts.resume) {
    const claimed = await claimResumable(opts.out!);
    if (claimed.finished) return { runDir, model: await loadModel(join(runDir, MODEL_DIR)), files: readRunFiles(runDir), alreadyFinished: true };
    dir = claimed.dir;
    const file = join(dir, ENSEMBLE_FILE);
    if (!existsSync(file)) throw new Error(`--resume ${opts.out}: the unfinished run is not an ensemble (no ${ENSEMBLE_FILE}); resume it without --ensemble`);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { members: number; options: TrainOptions };
    if (saved.members !== k) throw new Error(`--resume ${opts.out}: the ensemble was started with --ensemble ${saved.members}, not ${k}`);
    memberOpts = saved.options;
  } else {
    settle(opts); // every setting checked before anything is written
    if (!opts.overwrite && hasInterruptedRun(runDir)) throw new Error(`--out ${opts.out}: an interrupted run is kept for it; continue it with --resume ${opts.out} --ensemble ${k}, or pass --overwrite to start afresh`);
    dir = (await beginRun(runDir, { overwrite: opts.overwrite })).dir;
    memberOpts = { ...opts, out: undefined, overwrite: undefined, resume: undefined };
    await writeFile(join(dir, ENSEMBLE_FILE), JSON.stringify({ members: k, options: memberOpts }, null, 2) + '\n');
  }
  const seed = memberOpts.seed ?? DEFAULTS.seed;
  const sources: string[] = [];
  for (let i = 0; i < k; i++) {
    const out = join(dir, MEMBERS_DIR, `seed-${seed + i}`);
    sources.push(out);
    if (existsSync(join(out, 'run.json'))) continue;
    await onProgress({ type: 'note', text: `Member ${i + 1} of ${k} (seed ${seed + i})` });
    await trainRun({ ...memberOpts, seed: seed + i, out, resume: hasInterruptedRun(out) }, onProgress);
  }
  const loaded = await Promise.all(sources.map(async (s) => ({ source: s, model: await loadModel(join(s, MODEL_DIR)) })));
  const model = buildEnsemble(loaded);
  const files = await writeEnsemble(model, sources, loaded.map((m) => m.model), dir, runDir, { data: memberOpts.test ?? memberOpts.data ?? 'mnist', testLimit: memberOpts.testLimit ?? memberOpts.limit }, onProgress);
  await commitRun(runDir);
  await onProgress({ type: 'done', runDir, testAccuracy: files.metrics.test.accuracy, testLoss: files.metrics.test.loss });
  return { runDir, model, files };
}
