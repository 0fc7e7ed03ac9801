// Ready-made callbacks, as Keras's: early stopping (with best-weights restore) and NaN termination is built
// into fit itself.

import type { Callback, Logs } from './fit.js';

/** What early stopping needs of a model. */
export interface StoppableModel {
  stopTraining: boolean;
  getWeights(): Float32Array;
  setWeights(w: Float32Array): void;
}

export interface EarlyStoppingOptions {
  monitor?: string;
  patience?: number;
  minDelta?: number;
  mode?: 'min' | 'max';
  restoreBestWeights?: boolean;
}

/** Stops `fit` when `monitor` (default val_loss) has not improved for `patience` epochs. */
export function earlyStopping(model: StoppableModel, o: EarlyStoppingOptions = {}): Callback & { stoppedEpoch: number | null } {
  const monitor = o.monitor ?? 'val_loss';
  const patience = o.patience ?? 0;
  const minDelta = Math.abs(o.minDelta ?? 0);
  const mode = o.mode ?? (monitor.includes('acc') ? 'max' : 'min');
  let best = mode === 'min' ? Infinity : -Infinity;
  let wait = 0;
  let bestWeights: Float32Array | null = null;
  const cb = {
    stoppedEpoch: null as number | null,
    onTrainBegin(): void {
      best = mode === 'min' ? Infinity : -Infinity;
      wait = 0;
      bestWeights = null;
      cb.stoppedEpoch = null;
    },
    onEpochEnd(epoch: number, logs: Logs): void {
      const v = logs[monitor];
      if (v === undefined) throw new Error(`earlyStopping: no '${monitor}' in the epoch logs (${Object.keys(logs).join(', ')})`);
      const better = mode === 'min' ? v < best - minDelta : v > best + minDelta;
      if (better) {
        best = v;
        wait = 0;
        if (o.restoreBestWeights) bestWeights = model.getWeights();
      } else if (++wait >= Math.max(patience, 1)) {
        model.stopTraining = true;
        cb.stoppedEpoch = epoch;
      }
    },
    onTrainEnd(): void {
      // As Keras: the best weights come back only when training was stopped early.
      if (o.restoreBestWeights && bestWeights && cb.stoppedEpoch !== null) model.setWeights(bestWeights);
    },
  };
  return cb;
}
