// ModelCheckpoint, as Keras's: saves the model (TensorFlow.js format, each folder written whole) after every
// epoch (`<dir>/epoch-NNN/`) or only when the monitored value improves (`<dir>/best/`). Its best value is
// state a training backup keeps, so a resumed run replaces the best model only when an uninterrupted one
// would have. Node-only.

import { join } from 'node:path';
import type { CallbackState, StatefulCallback } from '../../engine/callbacks.js';
import type { Logs } from '../../engine/fit.js';
import type { Model } from '../../engine/graph/model.js';
import { saveModel } from '../../engine/io/files.js';

export interface CheckpointOptions {
  dir: string;
  /** Save only when `monitor` improves (into `<dir>/best`), else every epoch (default false). */
  saveBestOnly?: boolean;
  monitor?: string;
  mode?: 'min' | 'max';
}

export const BEST_CHECKPOINT = 'best';

export function epochCheckpointName(epoch: number): string {
  return `epoch-${String(epoch + 1).padStart(3, '0')}`;
}

export function modelCheckpoint(model: Model, o: CheckpointOptions): StatefulCallback {
  const monitor = o.monitor ?? 'val_loss';
  const mode = o.mode ?? (/acc/.test(monitor) ? 'max' : 'min');
  let best = mode === 'min' ? Infinity : -Infinity;
  return {
    stateKey: 'modelCheckpoint',
    getState: (): CallbackState => ({ best: Number.isFinite(best) ? best : null }),
    setState(s: CallbackState): void {
      best = typeof s.best === 'number' ? s.best : mode === 'min' ? Infinity : -Infinity;
    },
    onTrainBegin(): void {
      best = mode === 'min' ? Infinity : -Infinity;
    },
    async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
      const meta = { digitnet: { epoch: epoch + 1, ...logs } };
      if (!o.saveBestOnly) {
        await saveModel(model, join(o.dir, epochCheckpointName(epoch)), meta);
        return;
      }
      const v = logs[monitor];
      if (v === undefined) throw new Error(`modelCheckpoint: no '${monitor}' in the epoch logs (${Object.keys(logs).join(', ')})`);
      if (mode === 'min' ? v < best : v > best) {
        best = v;
        await saveModel(model, join(o.dir, BEST_CHECKPOINT), meta);
      }
    },
  };
}
