// Learning-rate schedules: objects an optimizer takes as its learningRate and asks for each step's value.
// Each is Keras's (or, for one-cycle, PyTorch's) formula of the number of steps already taken, i = step − 1,
// so that the first step runs at the schedule's value at 0 as in those libraries. Browser-safe.

import type { LearningRateSchedule } from './optimizers/optimizer.js';

export type { LearningRateSchedule };

function positive(v: number, what: string): number {
  if (!(v > 0) || !Number.isFinite(v)) throw new Error(`${what} must be a positive number, got ${v}`);
  return v;
}

function nonNegative(v: number, what: string): number {
  if (!(v >= 0) || !Number.isFinite(v)) throw new Error(`${what} must be a number ≥ 0, got ${v}`);
  return v;
}

function steps(v: number, what: string, min = 1): number {
  if (!Number.isInteger(v) || v < min) throw new Error(`${what} must be a whole number ≥ ${min}, got ${v}`);
  return v;
}

/** The number of steps taken before `step` (1-based): what Keras's schedules are a function of. */
function taken(step: number): number {
  return Math.max(0, step - 1);
}

export interface ExponentialDecayOptions {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  /** Decay in whole intervals of decaySteps (step decay) instead of continuously. */
  staircase?: boolean;
}

/** lr₀ · rate^(i / decaySteps), the exponent floored when `staircase` (Keras's ExponentialDecay). */
export function exponentialDecay(o: ExponentialDecayOptions): LearningRateSchedule {
  const lr0 = positive(o.initialLearningRate, 'exponentialDecay: initialLearningRate');
  const every = steps(o.decaySteps, 'exponentialDecay: decaySteps');
  const rate = positive(o.decayRate, 'exponentialDecay: decayRate');
  const staircase = o.staircase ?? false;
  return {
    className: 'ExponentialDecay',
    valueAt: (step) => {
      const p = taken(step) / every;
      return lr0 * rate ** (staircase ? Math.floor(p) : p);
    },
    config: () => ({ initial_learning_rate: lr0, decay_steps: every, decay_rate: rate, staircase }),
  };
}

export interface PiecewiseConstantOptions {
  /** Step counts (increasing) where the value changes. */
  boundaries: number[];
  /** One more value than boundaries: values[k] while boundaries[k−1] < i ≤ boundaries[k]. */
  values: number[];
}

/** values[0] for i ≤ boundaries[0], values[1] for boundaries[0] < i ≤ boundaries[1], … (Keras's PiecewiseConstantDecay). */
export function piecewiseConstantDecay(o: PiecewiseConstantOptions): LearningRateSchedule {
  const b = [...o.boundaries];
  const v = [...o.values];
  if (v.length !== b.length + 1) throw new Error(`piecewiseConstantDecay: needs one more value than boundaries, got ${v.length} values and ${b.length} boundaries`);
  b.forEach((x, k) => {
    steps(x, `piecewiseConstantDecay: boundaries[${k}]`, 0);
    if (k > 0 && x <= b[k - 1]) throw new Error(`piecewiseConstantDecay: boundaries must increase, got ${b[k - 1]} then ${x}`);
  });
  v.forEach((x, k) => positive(x, `piecewiseConstantDecay: values[${k}]`));
  return {
    className: 'PiecewiseConstantDecay',
    valueAt: (step) => {
      const i = taken(step);
      let k = 0;
      while (k < b.length && i > b[k]) k++;
      return v[k];
    },
    config: () => ({ boundaries: b, values: v }),
  };
}

export interface CosineDecayOptions {
  /** The rate at step 0: where the warm-up starts, or the peak when there is none. */
  initialLearningRate: number;
  /** Steps of the cosine, after the warm-up. */
  decaySteps: number;
  /** The floor, as a fraction of the peak (default 0). */
  alpha?: number;
  /** With warmupSteps: the peak the warm-up climbs to, linearly from initialLearningRate. */
  warmupTarget?: number;
  warmupSteps?: number;
}

/**
 * Keras 3's CosineDecay: a linear warm-up from initialLearningRate to warmupTarget over warmupSteps (if any),
 * then peak · ((1 − α)·½(1 + cos(π·min(i − warmup, decaySteps)/decaySteps)) + α).
 */
export function cosineDecay(o: CosineDecayOptions): LearningRateSchedule {
  const lr0 = nonNegative(o.initialLearningRate, 'cosineDecay: initialLearningRate');
  const decay = steps(o.decaySteps, 'cosineDecay: decaySteps');
  const alpha = nonNegative(o.alpha ?? 0, 'cosineDecay: alpha');
  if (alpha > 1) throw new Error(`cosineDecay: alpha must be at most 1, got ${alpha}`);
  const warm = steps(o.warmupSteps ?? 0, 'cosineDecay: warmupSteps', 0);
  const target = o.warmupTarget === undefined ? null : positive(o.warmupTarget, 'cosineDecay: warmupTarget');
  if (target === null && warm > 0) throw new Error('cosineDecay: warmupSteps needs a warmupTarget (the peak to warm up to)');
  if (target === null && lr0 === 0) throw new Error('cosineDecay: initialLearningRate must be positive without a warm-up');
  const peak = target ?? lr0;
  return {
    className: 'CosineDecay',
    valueAt: (step) => {
      const i = taken(step);
      if (target !== null && i < warm) return lr0 + (target - lr0) * (i / warm);
      const done = Math.min(i - warm, decay) / decay;
      return peak * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * done)) + alpha);
    },
    config: () => ({
      initial_learning_rate: lr0, decay_steps: decay, alpha,
      ...(target !== null ? { warmup_target: target, warmup_steps: warm } : {}),
    }),
  };
}

export interface OneCycleOptions {
  maxLearningRate: number;
  totalSteps: number;
  /** Fraction of the steps spent rising (default 0.3). */
  pctStart?: number;
  /** The start is max / divFactor (default 25). */
  divFactor?: number;
  /** The end is start / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
}

/**
 * PyTorch's OneCycleLR (cosine annealing, two phases): from max/div up to max over the first pctStart of the
 * steps, then down to max/div/finalDiv at the last step; it stays there if training goes on.
 */
export function oneCycle(o: OneCycleOptions): LearningRateSchedule {
  const max = positive(o.maxLearningRate, 'oneCycle: maxLearningRate');
  const total = steps(o.totalSteps, 'oneCycle: totalSteps', 2);
  const pct = o.pctStart ?? 0.3;
  if (!(pct > 0 && pct < 1)) throw new Error(`oneCycle: pctStart must be between 0 and 1, got ${pct}`);
  const div = positive(o.divFactor ?? 25, 'oneCycle: divFactor');
  const finalDiv = positive(o.finalDivFactor ?? 1e4, 'oneCycle: finalDivFactor');
  const start = max / div;
  const end = start / finalDiv;
  const up = pct * total - 1;
  const last = total - 1;
  // PyTorch's _annealing_cos: from a to b as p goes 0 → 1.
  const cos = (a: number, b: number, p: number): number => b + ((a - b) / 2) * (Math.cos(Math.PI * p) + 1);
  return {
    className: 'OneCycle',
    valueAt: (step) => {
      const i = taken(step);
      if (i <= up) return up <= 0 ? max : cos(start, max, i / up);
      return cos(max, end, Math.min(1, (i - up) / (last - up)));
    },
    config: () => ({ max_learning_rate: max, total_steps: total, pct_start: pct, div_factor: div, final_div_factor: finalDiv }),
  };
}

/** A schedule from its {class_name, config} (what an optimizer's config and a training backup hold). */
export function scheduleFromConfig(c: { class_name: string; config: Record<string, unknown> }): LearningRateSchedule {
  const k = c.config as Record<string, never>;
  switch (c.class_name) {
    case 'ExponentialDecay':
      return exponentialDecay({ initialLearningRate: k.initial_learning_rate, decaySteps: k.decay_steps, decayRate: k.decay_rate, staircase: k.staircase });
    case 'PiecewiseConstantDecay':
      return piecewiseConstantDecay({ boundaries: k.boundaries, values: k.values });
    case 'CosineDecay':
      return cosineDecay({ initialLearningRate: k.initial_learning_rate, decaySteps: k.decay_steps, alpha: k.alpha, warmupTarget: k.warmup_target, warmupSteps: k.warmup_steps });
    case 'OneCycle':
      return oneCycle({ maxLearningRate: k.max_learning_rate, totalSteps: k.total_steps, pctStart: k.pct_start, divFactor: k.div_factor, finalDivFactor: k.final_div_factor });
    default:
      throw new Error(`learning-rate schedule '${c.class_name}' is not known (ExponentialDecay, PiecewiseConstantDecay, CosineDecay, OneCycle are)`);
  }
}
