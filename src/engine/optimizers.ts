// Optimizers: one loop over the model's flat parameter buffer, run by the backend. The base class checks
// arguments; each optimizer only says how to step.

import type { Backend } from './backend.js';

export abstract class Optimizer {
  abstract readonly className: string;
  learningRate: number;
  protected step = 0;

  constructor(learningRate: number, name: string) {
    if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new Error(`${name}: learningRate must be a positive number, got ${learningRate}`);
    this.learningRate = learningRate;
  }

  /** Updates params in place from grads (both the model's flat buffers). */
  abstract apply(backend: Backend, params: Float32Array, grads: Float32Array): void;

  /** Keras config for model.json's training_config. */
  abstract config(): Record<string, unknown>;

  get iterations(): number {
    return this.step;
  }
}

export interface AdamOptions {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export class Adam extends Optimizer {
  readonly className = 'Adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private m = new Float32Array(0);
  private v = new Float32Array(0);

  constructor(o: AdamOptions = {}) {
    super(o.learningRate ?? 0.001, 'adam');
    this.beta1 = checkUnit(o.beta1 ?? 0.9, 'adam: beta1');
    this.beta2 = checkUnit(o.beta2 ?? 0.999, 'adam: beta2');
    this.epsilon = o.epsilon ?? 1e-7;
    if (!(this.epsilon > 0)) throw new Error(`adam: epsilon must be positive, got ${this.epsilon}`);
  }

  apply(backend: Backend, params: Float32Array, grads: Float32Array): void {
    if (this.m.length !== params.length) {
      this.m = new Float32Array(params.length);
      this.v = new Float32Array(params.length);
    }
    this.step++;
    backend.adamStep(params, grads, this.m, this.v, { lr: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, step: this.step, weightDecay: 0 });
  }

  config(): Record<string, unknown> {
    return { learning_rate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

export interface SgdOptions {
  learningRate?: number;
  momentum?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly className = 'SGD';
  readonly momentum: number;
  readonly nesterov: boolean;
  private velocity = new Float32Array(0);

  constructor(o: SgdOptions = {}) {
    super(o.learningRate ?? 0.01, 'sgd');
    this.momentum = o.momentum ?? 0;
    if (!(this.momentum >= 0 && this.momentum < 1)) throw new Error(`sgd: momentum must be in [0, 1), got ${this.momentum}`);
    this.nesterov = o.nesterov ?? false;
  }

  apply(backend: Backend, params: Float32Array, grads: Float32Array): void {
    if (this.velocity.length !== params.length) this.velocity = new Float32Array(params.length);
    this.step++;
    backend.sgdStep(params, grads, this.velocity, { lr: this.learningRate, momentum: this.momentum, nesterov: this.nesterov });
  }

  config(): Record<string, unknown> {
    return { learning_rate: this.learningRate, momentum: this.momentum, nesterov: this.nesterov };
  }
}

function checkUnit(v: number, what: string): number {
  if (!(v >= 0 && v < 1)) throw new Error(`${what} must be in [0, 1), got ${v}`);
  return v;
}

export const adam = (o?: AdamOptions): Adam => new Adam(o);
export const sgd = (o?: SgdOptions): SGD => new SGD(o);
