// Ready-made callbacks, as Keras's: early stopping (with best-weights restore) and ReduceLROnPlateau; NaN
// termination is built into fit itself. Both keep state across epochs, which they hand to a training backup
// (getState/setState) so that a resumed run decides as an uninterrupted one would.

import type { Callback, Logs } from './fit.js';

/** State a callback hands to a training backup: numbers, strings, flags, lists and float buffers. */
export type CallbackState = Record<string, number | string | boolean | null | number[] | Float32Array>;

/** A callback whose state survives a resume (BackupAndRestore saves it after each epoch). */
export interface StatefulCallback extends Callback {
  /** The name its state is saved under: one per kind of callback in a run. */
  readonly stateKey: string;
  getState(): CallbackState;
  setState(s: CallbackState): void;
}

/** Infinity does not survive JSON: a best value not yet set is saved as null. */
function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

type Mode = 'min' | 'max';

function modeOf(monitor: string, mode: Mode | 'auto' | undefined): Mode {
  return mode === 'min' || mode === 'max' ? mode : /acc/.test(monitor) ? 'max' : 'min';
}

function monitored(logs: Logs, monitor: string, who: string): number {
  const v = logs[monitor];
  if (v === undefined) throw new Error(`${who}: no '${monitor}' in the epoch logs (${Object.keys(logs).join(', ')})`);
  return v;
}

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
  mode?: Mode | 'auto';
  restoreBestWeights?: boolean;
}

/** Stops `fit` when `monitor` (default val_loss) has not improved for `patience` epochs. */
export function earlyStopping(model: StoppableModel, o: EarlyStoppingOptions = {}): StatefulCallback & { stoppedEpoch: number | null } {
  const monitor = o.monitor ?? 'val_loss';
  const patience = o.patience ?? 0;
  const minDelta = Math.abs(o.minDelta ?? 0);
  const mode = modeOf(monitor, o.mode);
  let best = mode === 'min' ? Infinity : -Infinity;
  let wait = 0;
  let bestWeights: Float32Array | null = null;
  const cb = {
    stateKey: 'earlyStopping',
    stoppedEpoch: null as number | null,
    getState: (): CallbackState => ({ best: finiteOrNull(best), wait, bestWeights, stoppedEpoch: cb.stoppedEpoch }),
    setState(st: CallbackState): void {
      best = typeof st.best === 'number' ? st.best : mode === 'min' ? Infinity : -Infinity;
      wait = st.wait as number;
      bestWeights = st.bestWeights instanceof Float32Array ? st.bestWeights : null;
      cb.stoppedEpoch = typeof st.stoppedEpoch === 'number' ? st.stoppedEpoch : null;
    },
    onTrainBegin(): void {
      best = mode === 'min' ? Infinity : -Infinity;
      wait = 0;
      bestWeights = null;
      cb.stoppedEpoch = null;
    },
    onEpochEnd(epoch: number, logs: Logs): void {
      const v = monitored(logs, monitor, 'earlyStopping');
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

/** What ReduceLROnPlateau needs of a model: its optimizer's learning rate, and whether that is a schedule. */
export interface TunableModel {
  optimizer: { learningRate: number; schedule: { className: string } | null } | null;
}

export interface ReduceLrOptions {
  monitor?: string;
  /** The learning rate is multiplied by this (default 0.1). */
  factor?: number;
  /** Epochs without improvement before a reduction (default 10). */
  patience?: number;
  mode?: Mode | 'auto';
  /** An improvement must exceed this (default 1e-4, as Keras). */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** The learning rate never goes below this (default 0). */
  minLr?: number;
}

/**
 * Keras's ReduceLROnPlateau: multiplies the optimizer's learning rate by `factor` when `monitor` (default
 * val_loss) has not improved for `patience` epochs. The optimizer's rate must be a number: a schedule decides
 * the rate itself, so combining the two is refused when training begins.
 */
export function reduceLROnPlateau(model: TunableModel, o: ReduceLrOptions = {}): StatefulCallback {
  const monitor = o.monitor ?? 'val_loss';
  const factor = o.factor ?? 0.1;
  if (!(factor > 0 && factor < 1)) throw new Error(`reduceLROnPlateau: factor must be between 0 and 1, got ${factor}`);
  const patience = o.patience ?? 10;
  const cooldown = o.cooldown ?? 0;
  for (const [k, v] of [['patience', patience], ['cooldown', cooldown]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`reduceLROnPlateau: ${k} must be a whole number ≥ 0, got ${v}`);
  }
  const minDelta = Math.abs(o.minDelta ?? 1e-4);
  const minLr = o.minLr ?? 0;
  if (!(minLr >= 0)) throw new Error(`reduceLROnPlateau: minLr must be ≥ 0, got ${minLr}`);
  const mode = modeOf(monitor, o.mode);
  let best = mode === 'min' ? Infinity : -Infinity;
  let wait = 0;
  let cooling = 0;
  const opt = (): NonNullable<TunableModel['optimizer']> => {
    if (!model.optimizer) throw new Error('reduceLROnPlateau: the model is not compiled');
    return model.optimizer;
  };
  return {
    stateKey: 'reduceLROnPlateau',
    getState: () => ({ best: finiteOrNull(best), wait, cooling, learningRate: opt().learningRate }),
    setState(st: CallbackState): void {
      best = typeof st.best === 'number' ? st.best : mode === 'min' ? Infinity : -Infinity;
      wait = st.wait as number;
      cooling = st.cooling as number;
      opt().learningRate = st.learningRate as number;
    },
    onTrainBegin(): void {
      const s = opt().schedule;
      if (s) throw new Error(`reduceLROnPlateau: the optimizer's learning rate is a schedule (${s.className}); use one or the other`);
      best = mode === 'min' ? Infinity : -Infinity;
      wait = 0;
      cooling = 0;
    },
    onEpochEnd(_epoch: number, logs: Logs): void {
      const v = monitored(logs, monitor, 'reduceLROnPlateau');
      if (cooling > 0) {
        cooling--;
        wait = 0;
      }
      if (mode === 'min' ? v < best - minDelta : v > best + minDelta) {
        best = v;
        wait = 0;
      } else if (cooling === 0 && ++wait >= patience) {
        const lr = opt().learningRate;
        if (lr > minLr) opt().learningRate = Math.max(lr * factor, minLr);
        cooling = cooldown;
        wait = 0;
      }
    },
  };
}
