// RMSprop (Hinton's, as Keras and TensorFlow.js: ε inside the square root, optional momentum).

import type { Backend } from '../backend.js';
import { checkUnit, Optimizer, type OptimizerOptions } from './optimizer.js';

export interface RmspropOptions extends OptimizerOptions {
  rho?: number;
  momentum?: number;
  epsilon?: number;
}

export class RMSprop extends Optimizer {
  readonly className = 'RMSprop';
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;

  constructor(o: RmspropOptions = {}) {
    super(o, 0.001, 'rmsprop');
    this.rho = checkUnit(o.rho ?? 0.9, 'rmsprop: rho');
    this.momentum = checkUnit(o.momentum ?? 0, 'rmsprop: momentum');
    this.epsilon = o.epsilon ?? 1e-7;
    if (!(this.epsilon > 0)) throw new Error(`rmsprop: epsilon must be positive, got ${this.epsilon}`);
  }

  protected slotNames(): string[] {
    return ['ms', 'mom'];
  }

  protected update(backend: Backend, params: Float32Array, grads: Float32Array, s: number, e: number, lr: number): void {
    backend.rmspropStep(params.subarray(s, e), grads.subarray(s, e), this.slot('ms', s, e), this.slot('mom', s, e), {
      lr, rho: this.rho, momentum: this.momentum, epsilon: this.epsilon,
    });
  }

  config(): Record<string, unknown> {
    return { ...this.baseConfig(), rho: this.rho, momentum: this.momentum, epsilon: this.epsilon };
  }
}
