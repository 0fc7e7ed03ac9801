// A worker process: runs trials one after another with the project's training run, reports the
// objective after every epoch to the tuner, and stops a trial when the tuner says it is pruned. It dies
// with its tuner: when the IPC channel closes (the tuner exited or was killed), it exits at once. Started
// by pool.ts with child_process.fork; not for direct use. Node-only.

import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { selectBackend } from '../engine/backends/select.js';
import { trainRun, type Progress, type TrainOptions } from '../train/run.js';
import type { Objective } from './trial.js';

// A process entry point: install the fastest backend here (native, sized by DIGITNET_THREADS from the pool).
selectBackend();

export type ToWorker =
  | { type: 'run'; options: TrainOptions; objective: Objective }
  | { type: 'verdict'; prune: boolean };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'epoch'; epoch: number; value: number }
  | { type: 'done'; runDir: string; value: number; testAccuracy: number }
  | { type: 'pruned'; epoch: number; value: number }
  | { type: 'failed'; message: string };

class Pruned extends Error {
  constructor(readonly epoch: number, readonly value: number) {
    super(`pruned after epoch ${epoch}`);
  }
}

let verdict: ((prune: boolean) => void) | null = null;

function send(m: FromWorker): void {
  process.send!(m);
}

async function runTrial(options: TrainOptions, objective: Objective): Promise<void> {
  let last = NaN;
  const onProgress = async (p: Progress): Promise<void> => {
    // Between batches, let the event loop see a closed channel (the tuner is gone) or a message.
    if (p.type === 'batch') await yieldToEvents();
    if (p.type !== 'epochEnd') return;
    const v = objective === 'val_accuracy' ? p.valAccuracy : p.valLoss;
    if (v === null) throw new Error(`--objective ${objective} needs a validation split (give --validation-split above 0)`);
    last = v;
    const epoch = p.epoch + 1;
    const prune = await new Promise<boolean>((res) => {
      verdict = res;
      send({ type: 'epoch', epoch, value: v });
    });
    if (prune) throw new Pruned(epoch, v);
  };
  try {
    const r = await trainRun(options, onProgress);
    send({ type: 'done', runDir: r.runDir, value: last, testAccuracy: r.files.metrics.test.accuracy });
  } catch (e) {
    if (e instanceof Pruned) send({ type: 'pruned', epoch: e.epoch, value: e.value });
    else send({ type: 'failed', message: firstLine(e) });
  }
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0];
}

if (process.send) {
  process.on('disconnect', () => process.exit(1));
  process.on('message', (m: ToWorker) => {
    if (m.type === 'verdict') {
      const v = verdict;
      verdict = null;
      v?.(m.prune);
    } else if (m.type === 'run') {
      void runTrial(m.options, m.objective);
    }
  });
  send({ type: 'ready' });
}
