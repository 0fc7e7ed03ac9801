// SGD with (optionally Nesterov) momentum, Keras's form: v = momentum·v − lr·g.

import type { Backend } from '../backend.js';
import { Optimizer, type OptimizerOptions } from './optimizer.js';

export interface SgdOptions extends OptimizerOptions {
  momentum?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly className = 'SGD';
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(o: SgdOptions = {}) {
    super(o, 0.01, 'sgd');
    this.momentum = o.momentum ?? 0;
    if (!(this.momentum >= 0 && this.momentum < 1)) throw new Error(`sgd: momentum must be in [0, 1), got ${this.momentum}`);
    this.nesterov = o.nesterov ?? false;
  }

  protected slotNames(): string[] {
    return ['velocity'];
  }

  protected update(backend: Backend, params: Float32Array, grads: Float32Array, s: number, e: number, lr: number): void {
    backend.sgdStep(params.subarray(s, e), grads.subarray(s, e), this.slot('velocity', s, e), { lr, momentum: this.momentum, nesterov: this.nesterov });
  }

  config(): Record<string, unknown> {
    return { ...this.baseConfig(), momentum: this.momentum, nesterov: this.nesterov };
  }
}
