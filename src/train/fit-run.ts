// The fit of a training run: the optimizer with the run's learning-rate schedule, the augmenter, and the
// callbacks in the order that matters (progress, ReduceLROnPlateau, EarlyStopping, ModelCheckpoint, then
// BackupAndRestore last, so that it saves what the others decided). Node-only.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { earlyStopping, type CallbackState, type StatefulCallback } from '../engine/callbacks.js';
import type { Logs } from '../engine/fit.js';
import type { Model } from '../engine/graph/model.js';
import { GENERATED_BY } from '../engine/io/artifacts.js';
import { topologyOf } from '../engine/io/topology.js';
import type { Tensor } from '../engine/tensor.js';
import { makeAugmenter, type Augmenter } from './augmenter.js';
import { BACKUP_DIR, BACKUP_FORMAT, backupAndRestore, type Backup } from './callbacks/backup.js';
import { modelCheckpoint } from './callbacks/checkpoint.js';
import type { HistoryJson } from './run-files.js';
import { buildOptimizer } from './optimizer-spec.js';
import { augmentOf, optimizerOf, scheduleOf, type Settled } from './run-config.js';
import type { ProgressListener } from './progress.js';
import { buildSchedule } from './schedule-spec.js';

export const CHECKPOINTS_DIR = 'checkpoints';

/** What identifies an architecture across processes: its name, parameter count and topology's hash. */
export function archFingerprint(model: Model): { name: string; params: number; topology: string } {
  const topology = createHash('sha256').update(JSON.stringify(topologyOf(model))).digest('hex').slice(0, 16);
  return { name: model.name, params: model.params.length, topology };
}

/** Throws, naming what differs, when a backup is not of this run (another format, another architecture). */
export function checkBackup(b: Backup, model: Model, runDir: string): void {
  const h = b.header;
  if (h.format !== BACKUP_FORMAT) {
    throw new Error(`--resume ${runDir}: the backup is of format ${h.format} (written by ${String(h.meta.digitnet ?? 'another version')}); this digitnet reads format ${BACKUP_FORMAT}; start afresh with --overwrite`);
  }
  const saved = h.meta.arch as ReturnType<typeof archFingerprint> | undefined;
  const now = archFingerprint(model);
  if (!saved || saved.topology !== now.topology || saved.params !== now.params) {
    throw new Error(`--resume ${runDir}: the backup is of a ${saved?.name ?? 'different'} model with ${saved?.params ?? '?'} parameters, but the run's architecture now builds ${now.name} with ${now.params}; start afresh with --overwrite`);
  }
}

/** Training progress as a callback; the seconds of each epoch are state a resumed run keeps. */
function progressCallback(n: number, cfg: Settled, onProgress: ProgressListener): StatefulCallback & { seconds: number[] } {
  const batches = Math.ceil(n / cfg.batchSize);
  let epochStart = 0;
  let current = 0;
  const cb = {
    stateKey: 'progress',
    seconds: [] as number[],
    getState: (): CallbackState => ({ seconds: [...cb.seconds] }),
    setState: (s: CallbackState): void => void (cb.seconds = [...(s.seconds as number[])]),
    onTrainBegin: (): void => void (cb.seconds = []),
    onEpochBegin: async (epoch: number): Promise<void> => {
      current = epoch;
      epochStart = performance.now();
      await onProgress({ type: 'epochBegin', epoch, epochs: cfg.epochs, batches });
    },
    onBatchEnd: async (batch: number, logs: Logs): Promise<void> => {
      const done = Math.min(n, (batch + 1) * cfg.batchSize);
      const rate = done / Math.max((performance.now() - epochStart) / 1000, 1e-9);
      const left = n - done + (cfg.epochs - 1 - current) * n;
      await onProgress({ type: 'batch', epoch: current, epochs: cfg.epochs, batch, batches, loss: logs.loss, accuracy: logs.accuracy, imagesPerSecond: rate, epochEtaSeconds: (n - done) / rate, etaSeconds: left / rate });
    },
    onEpochEnd: async (epoch: number, logs: Logs): Promise<void> => {
      cb.seconds.push((performance.now() - epochStart) / 1000);
      await onProgress({ type: 'epochEnd', epoch, epochs: cfg.epochs, loss: logs.loss, accuracy: logs.accuracy, valLoss: logs.val_loss ?? null, valAccuracy: logs.val_accuracy ?? null, seconds: cb.seconds.at(-1)!, learningRate: logs.learning_rate ?? null });
    },
  };
  return cb;
}

export interface FitRunResult {
  history: HistoryJson;
  augmenter: Augmenter | null;
  /** The epochs that were done when this process started (0 unless resumed). */
  resumedAt: number;
}

/** Compiles the model with the run's optimizer and schedule, and fits it with the run's callbacks. */
export async function fitRun(model: Model, x: Tensor, y: Tensor, val: [Tensor, Tensor] | null, cfg: Settled, dir: string, runDir: string, onProgress: ProgressListener): Promise<FitRunResult> {
  const n = x.shape[0];
  const batches = Math.ceil(n / cfg.batchSize);
  const { learningRate, callback: plateau } = buildSchedule(scheduleOf(cfg), model, { lr: cfg.learningRate, epochs: cfg.epochs, batchesPerEpoch: batches });
  model.compile({ optimizer: buildOptimizer(optimizerOf(cfg), learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const progress = progressCallback(n, cfg, onProgress);
  const stateful: StatefulCallback[] = [progress];
  if (plateau) stateful.push(plateau);
  if (cfg.earlyStopping > 0) stateful.push(earlyStopping(model, { monitor: 'val_loss', patience: cfg.earlyStopping, restoreBestWeights: true }));
  if (cfg.checkpoint !== 'none') stateful.push(modelCheckpoint(model, { dir: join(dir, CHECKPOINTS_DIR), saveBestOnly: cfg.checkpoint === 'best' }));
  const backup = cfg.backup
    ? backupAndRestore(model, {
      dir: join(dir, BACKUP_DIR),
      callbacks: stateful,
      meta: { options: cfg, arch: archFingerprint(model), digitnet: GENERATED_BY },
      check: (b) => checkBackup(b, model, runDir),
    })
    : null;
  const spec = augmentOf(cfg);
  const [h, w, c] = model.inputShape;
  if (spec && c !== 1) throw new Error(`--augment: images of ${c} channels are not supported (augmentation works on one-channel images)`);
  const augmenter = spec ? makeAugmenter(spec, h, w) : null;
  const run = await model.fit(x, y, {
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    validationData: val ?? undefined,
    shuffle: true,
    augment: augmenter ?? undefined,
    // Off unless asked for (engine/fit.ts says why).
    overlapAugment: process.env.DIGITNET_AUGMENT_OVERLAP === '1',
    callbacks: backup ? [...stateful, backup] : stateful,
  });
  const hist = run.history;
  return {
    history: { epoch: run.epoch, loss: hist.loss ?? [], accuracy: hist.accuracy ?? [], val_loss: hist.val_loss ?? [], val_accuracy: hist.val_accuracy ?? [], seconds: progress.seconds, learning_rate: hist.learning_rate ?? [] },
    augmenter,
    resumedAt: backup?.restored?.epoch ?? 0,
  };
}
