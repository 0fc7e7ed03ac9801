// What every optimizer shares: argument checks, the learning rate (a number or a schedule object),
// gradient clipping, the iteration count, and its state for checkpoints. Each optimizer only says how one
// contiguous slice of the flat parameter buffer steps, with state buffers parallel to it.

import type { Backend } from '../backend.js';

/** A learning rate that changes with the step: the optimizer asks it for each step's value (1-based step). */
export interface LearningRateSchedule {
  readonly className: string;
  valueAt(step: number): number;
  config(): Record<string, unknown>;
}

export interface OptimizerOptions {
  learningRate?: number | LearningRateSchedule;
  /** Clip each weight's gradient to this L2 norm (Keras's clipnorm). */
  clipnorm?: number;
  /** Clip all gradients together to this L2 norm (Keras's global_clipnorm). */
  globalClipnorm?: number;
}

/** One parameter's [start, end) in the flat buffers. */
export type Slice = [number, number];

export abstract class Optimizer {
  abstract readonly className: string;
  /** The learning rate of the last step (or the fixed one); setting it replaces any schedule. */
  private rate: number;
  schedule: LearningRateSchedule | null;
  readonly clipnorm: number | null;
  readonly globalClipnorm: number | null;
  protected step = 0;
  /** State buffers parallel to the parameters (moments, velocities), by name. */
  protected slots: Record<string, Float32Array> = {};

  constructor(o: OptimizerOptions, defaultRate: number, name: string) {
    const lr = o.learningRate ?? defaultRate;
    if (typeof lr === 'number') {
      if (!(lr > 0) || !Number.isFinite(lr)) throw new Error(`${name}: learningRate must be a positive number, got ${lr}`);
      this.rate = lr;
      this.schedule = null;
    } else {
      if (typeof lr?.valueAt !== 'function') throw new Error(`${name}: learningRate must be a number or a schedule with valueAt(step)`);
      this.schedule = lr;
      this.rate = lr.valueAt(1);
    }
    this.clipnorm = positiveOrNull(o.clipnorm, `${name}: clipnorm`);
    this.globalClipnorm = positiveOrNull(o.globalClipnorm, `${name}: globalClipnorm`);
  }

  get learningRate(): number {
    return this.rate;
  }

  set learningRate(v: number) {
    if (!(v > 0) || !Number.isFinite(v)) throw new Error(`${this.className}: learningRate must be a positive number, got ${v}`);
    this.rate = v;
    this.schedule = null;
  }

  get iterations(): number {
    return this.step;
  }

  /** The slot names this optimizer keeps, each as long as the parameters. */
  protected abstract slotNames(): string[];

  /** Steps params[s..e) from grads[s..e) at learning rate lr (slots sliced alike). */
  protected abstract update(backend: Backend, params: Float32Array, grads: Float32Array, s: number, e: number, lr: number): void;

  /**
   * One step over the given parameter slices (the trainable ones): clips the gradients if asked, then updates.
   * Slices adjacent in memory are updated in one kernel call.
   */
  apply(backend: Backend, params: Float32Array, grads: Float32Array, slices: Slice[]): void {
    for (const n of this.slotNames()) if (this.slots[n]?.length !== params.length) this.slots[n] = new Float32Array(params.length);
    this.step++;
    if (this.schedule) this.rate = this.schedule.valueAt(this.step);
    this.clip(grads, slices);
    for (const [s, e] of mergeSlices(slices)) this.update(backend, params, grads, s, e, this.rate);
  }

  private clip(grads: Float32Array, slices: Slice[]): void {
    if (this.clipnorm !== null) for (const sl of slices) scaleToNorm(grads, [sl], this.clipnorm);
    if (this.globalClipnorm !== null) scaleToNorm(grads, slices, this.globalClipnorm);
  }

  /** Keras config for model.json's training_config. */
  abstract config(): Record<string, unknown>;

  /** What a checkpoint needs to continue exactly: the step and copies of the state buffers. */
  getState(): { iterations: number; slots: Record<string, Float32Array> } {
    return { iterations: this.step, slots: Object.fromEntries(Object.entries(this.slots).map(([k, v]) => [k, v.slice()])) };
  }

  setState(state: { iterations: number; slots: Record<string, Float32Array> }): void {
    const names = this.slotNames();
    for (const n of names) if (!(state.slots[n] instanceof Float32Array)) throw new Error(`${this.className}: the saved state has no '${n}' buffer`);
    this.step = state.iterations;
    this.slots = Object.fromEntries(names.map((n) => [n, state.slots[n].slice()]));
    if (this.schedule && this.step > 0) this.rate = this.schedule.valueAt(this.step);
  }

  /** A slot's [s, e) slice. */
  protected slot(name: string, s: number, e: number): Float32Array {
    return this.slots[name].subarray(s, e);
  }

  protected baseConfig(): Record<string, unknown> {
    return {
      learning_rate: this.schedule ? { class_name: this.schedule.className, config: this.schedule.config() } : this.rate,
      ...(this.clipnorm !== null ? { clipnorm: this.clipnorm } : {}),
      ...(this.globalClipnorm !== null ? { global_clipnorm: this.globalClipnorm } : {}),
    };
  }
}

function positiveOrNull(v: number | undefined, what: string): number | null {
  if (v === undefined || v === null) return null;
  if (!(v > 0) || !Number.isFinite(v)) throw new Error(`${what} must be a positive number, got ${v}`);
  return v;
}

/** Multiplies the gradients in `slices` by min(1, max / ‖g‖), the norm taken over all of them together. */
function scaleToNorm(grads: Float32Array, slices: Slice[], max: number): void {
  let sq = 0;
  for (const [s, e] of slices) for (let i = s; i < e; i++) sq += grads[i] * grads[i];
  const norm = Math.sqrt(sq);
  if (norm <= max) return;
  const k = max / norm;
  for (const [s, e] of slices) for (let i = s; i < e; i++) grads[i] *= k;
}

export function mergeSlices(slices: Slice[]): Slice[] {
  const sorted = [...slices].sort((a, b) => a[0] - b[0]);
  const out: Slice[] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && last[1] === s) last[1] = e;
    else out.push([s, e]);
  }
  return out;
}

export function checkUnit(v: number, what: string): number {
  if (!(v >= 0 && v < 1)) throw new Error(`${what} must be in [0, 1), got ${v}`);
  return v;
}
