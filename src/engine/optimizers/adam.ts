// Adam (Kingma & Ba, TensorFlow.js's update: p -= lr·m̂ / (sqrt(v̂) + ε)) and AdamW (Loshchilov & Hutter:
// the same, after a decoupled weight decay p -= lr·wd·p, as Keras's AdamW).

import type { Backend } from '../backend.js';
import { checkUnit, Optimizer, type OptimizerOptions } from './optimizer.js';

export interface AdamOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export class Adam extends Optimizer {
  readonly className: string = 'Adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  protected weightDecay = 0;

  constructor(o: AdamOptions = {}, name = 'adam') {
    super(o, 0.001, name);
    this.beta1 = checkUnit(o.beta1 ?? 0.9, `${name}: beta1`);
    this.beta2 = checkUnit(o.beta2 ?? 0.999, `${name}: beta2`);
    this.epsilon = o.epsilon ?? 1e-7;
    if (!(this.epsilon > 0)) throw new Error(`${name}: epsilon must be positive, got ${this.epsilon}`);
  }

  protected slotNames(): string[] {
    return ['m', 'v'];
  }

  protected update(backend: Backend, params: Float32Array, grads: Float32Array, s: number, e: number, lr: number): void {
    backend.adamStep(params.subarray(s, e), grads.subarray(s, e), this.slot('m', s, e), this.slot('v', s, e), {
      lr, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, step: this.step, weightDecay: this.weightDecay,
    });
  }

  config(): Record<string, unknown> {
    return { ...this.baseConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay (Keras's default 0.004). */
  weightDecay?: number;
}

export class AdamW extends Adam {
  override readonly className = 'AdamW';

  constructor(o: AdamWOptions = {}) {
    super(o, 'adamw');
    const wd = o.weightDecay ?? 0.004;
    if (!(wd >= 0) || !Number.isFinite(wd)) throw new Error(`adamw: weightDecay must be a non-negative number, got ${wd}`);
    this.weightDecay = wd;
  }

  override config(): Record<string, unknown> {
    return { ...super.config(), weight_decay: this.weightDecay };
  }
}
