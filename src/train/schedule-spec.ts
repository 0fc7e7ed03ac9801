// `digitnet train --schedule NAME[,key=value...]`: the learning-rate policy of a run, in epochs, turned into
// a schedule object (engine/schedules.ts) of optimizer steps, or, for `plateau`, a ReduceLROnPlateau
// callback over a constant rate. `--lr` is the peak rate in every case. Browser-safe.

import { reduceLROnPlateau, type StatefulCallback, type TunableModel } from '../engine/callbacks.js';
import type { LearningRateSchedule } from '../engine/optimizers/optimizer.js';
import { cosineDecay, exponentialDecay, oneCycle } from '../engine/schedules.js';
import { formatNamedSpec, parseNamedSpec, type NamedSpec, type SpecTable } from './named-spec.js';

/** Each policy's parameters, with ranges and defaults. */
export const SCHEDULES: SpecTable = {
  constant: { help: 'the same rate throughout', params: {} },
  exponential: { help: 'multiplied by rate after each epoch', params: { rate: { min: 0.01, max: 1, default: 0.7, help: 'factor per epoch' } } },
  step: {
    help: 'multiplied by factor every `every` epochs',
    params: { every: { min: 1, max: 1e4, default: 10, help: 'epochs per step' }, factor: { min: 0.001, max: 1, default: 0.1, help: 'factor per step' } },
  },
  cosine: {
    help: 'linear warm-up from 0, then half a cosine down to alpha·lr at the last step',
    params: { warmup: { min: 0, max: 1e4, default: 0, help: 'warm-up epochs' }, alpha: { min: 0, max: 1, default: 0, help: 'floor, as a fraction of lr' } },
  },
  onecycle: {
    help: 'up from lr/div over the first pct of the steps, then down to lr/div/final (PyTorch\'s OneCycleLR)',
    params: {
      pct: { min: 0.01, max: 0.99, default: 0.25, help: 'fraction of steps rising' },
      div: { min: 1, max: 1e4, default: 25, help: 'start = lr/div' },
      final: { min: 1, max: 1e6, default: 1e4, help: 'end = start/final' },
    },
  },
  plateau: {
    help: 'multiplied by factor when val_loss has not improved for `patience` epochs (ReduceLROnPlateau)',
    params: {
      factor: { min: 0.01, max: 0.99, default: 0.5, help: 'factor per reduction' },
      patience: { min: 0, max: 1e4, default: 2, help: 'epochs without improvement' },
      min: { min: 0, max: 1, default: 1e-6, help: 'lowest rate' },
    },
  },
};

export type ScheduleSpec = NamedSpec;

/** Parses `--schedule`'s value; an unknown name or parameter, or a value out of range, is a one-line error. */
export function parseSchedule(text: string, option = '--schedule'): ScheduleSpec {
  return parseNamedSpec(text, SCHEDULES, option, 'schedule');
}

/** The spec as --schedule writes it (every parameter). */
export function formatSchedule(s: ScheduleSpec): string {
  return formatNamedSpec(s);
}

/** The optimizer's learning rate (a number or a schedule) and, for plateau, the callback that lowers it. */
export function buildSchedule(s: ScheduleSpec, model: TunableModel | null, o: { lr: number; epochs: number; batchesPerEpoch: number }): {
  learningRate: number | LearningRateSchedule;
  callback: StatefulCallback | null;
} {
  const p = s.params;
  const steps = o.epochs * o.batchesPerEpoch;
  switch (s.name) {
    case 'exponential':
      return { learningRate: exponentialDecay({ initialLearningRate: o.lr, decaySteps: o.batchesPerEpoch, decayRate: p.rate, staircase: true }), callback: null };
    case 'step':
      return { learningRate: exponentialDecay({ initialLearningRate: o.lr, decaySteps: p.every * o.batchesPerEpoch, decayRate: p.factor, staircase: true }), callback: null };
    case 'cosine': {
      const warm = Math.min(steps - 1, Math.round(p.warmup * o.batchesPerEpoch));
      return {
        learningRate: cosineDecay({ initialLearningRate: warm > 0 ? 0 : o.lr, decaySteps: steps - warm, alpha: p.alpha, ...(warm > 0 ? { warmupTarget: o.lr, warmupSteps: warm } : {}) }),
        callback: null,
      };
    }
    case 'onecycle':
      return { learningRate: oneCycle({ maxLearningRate: o.lr, totalSteps: Math.max(2, steps), pctStart: p.pct, divFactor: p.div, finalDivFactor: p.final }), callback: null };
    case 'plateau': {
      if (!model) throw new Error('--schedule plateau needs the model');
      return { learningRate: o.lr, callback: reduceLROnPlateau(model, { monitor: 'val_loss', factor: p.factor, patience: p.patience, minLr: p.min }) };
    }
    default:
      return { learningRate: o.lr, callback: null };
  }
}
