// SGD with (optionally Nesterov) momentum, Keras's form: v = momentum·v − lr·g; with Keras 3's decoupled
// weight decay, each step first shrinks the weights, p −= lr·weight_decay·p (the ResNet recipes' decay).

import type { Backend } from '../backend.js';
import { Optimizer, type OptimizerOptions } from './optimizer.js';

export interface SgdOptions extends OptimizerOptions {
  momentum?: number;
  nesterov?: boolean;
  /** Decoupled weight decay per unit of learning rate (Keras 3's weight_decay); default 0. */
  weightDecay?: number;
}

export class SGD extends Optimizer {
  readonly className = 'SGD';
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;

  constructor(o: SgdOptions = {}) {
    super(o, 0.01, 'sgd');
    this.momentum = o.momentum ?? 0;
    if (!(this.momentum >= 0 && this.momentum < 1)) throw new Error(`sgd: momentum must be in [0, 1), got ${this.momentum}`);
    this.nesterov = o.nesterov ?? false;
    this.weightDecay = o.weightDecay ?? 0;
    if (!(this.weightDecay >= 0) || !Number.isFinite(this.weightDecay)) throw new Error(`sgd: weightDecay must be a non-negative number, got ${this.weightDecay}`);
  }

  protected slotNames(): string[] {
    return ['velocity'];
  }

  protected update(backend: Backend, params: Float32Array, grads: Float32Array, s: number, e: number, lr: number): void {
    if (this.weightDecay > 0) {
      // Keras 3's float32 order: p - p·wd·lr.
      const wd = Math.fround(this.weightDecay), rate = Math.fround(lr);
      for (let i = s; i < e; i++) params[i] -= Math.fround(Math.fround(params[i] * wd) * rate);
    }
    backend.sgdStep(params.subarray(s, e), grads.subarray(s, e), this.slot('velocity', s, e), { lr, momentum: this.momentum, nesterov: this.nesterov });
  }

  config(): Record<string, unknown> {
    return { ...this.baseConfig(), momentum: this.momentum, nesterov: this.nesterov, ...(this.weightDecay ? { weight_decay: this.weightDecay } : {}) };
  }
}
