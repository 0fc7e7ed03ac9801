// What every layer is: a shape rule (build), parameters it declares, and a forward/backward pair.
// The forward keeps what the backward needs; buffers are allocated once and regrown only when a larger
// batch arrives, so training allocates nothing per batch.

import type { Backend } from '../backend.js';
import type { Random } from '../random.js';
import { fmtShape, Tensor } from '../tensor.js';

export type Initializer = 'glorotUniform' | 'glorotNormal' | 'heNormal' | 'heUniform' | 'zeros';

/** A parameter a layer declares; the model places it in its flat parameter buffer. */
export interface ParamSpec {
  name: 'kernel' | 'bias';
  shape: number[];
  init: Initializer;
  fanIn: number;
  fanOut: number;
}

export interface RunContext {
  backend: Backend;
  training: boolean;
  rng: Random;
}

/** A Keras layer config entry as it appears in model.json (snake_case keys). */
export type LayerConfig = Record<string, unknown>;

export abstract class Layer {
  /** Keras class name, as written in model.json ('Conv2D', 'Dense', ...). */
  abstract readonly className: string;
  name: string;
  /** Per-example input shape, without the batch axis; given to the first layer, set by build for the rest. */
  inputShape: number[] | null;
  outputShape: number[] = [];
  /** Views into the model's flat parameter and gradient buffers, in `paramSpecs()` order. */
  weights: Float32Array[] = [];
  grads: Float32Array[] = [];

  constructor(name: string | undefined, inputShape: readonly number[] | undefined) {
    this.name = name ?? '';
    this.inputShape = inputShape ? [...inputShape] : null;
  }

  /** Checks the input shape and returns the output shape (both without batch). */
  build(inputShape: readonly number[]): number[] {
    this.inputShape = [...inputShape];
    this.outputShape = this.computeOutputShape(inputShape);
    return this.outputShape;
  }

  protected abstract computeOutputShape(inputShape: readonly number[]): number[];

  paramSpecs(): ParamSpec[] {
    return [];
  }

  abstract forward(x: Tensor, ctx: RunContext): Tensor;

  /** dy: gradient of the loss w.r.t. this layer's last output; fills `grads`; returns dx, or null when not needed. */
  abstract backward(dy: Tensor, ctx: RunContext, needDx: boolean): Tensor | null;

  /** The Keras config of this layer (model.json). */
  abstract config(): LayerConfig;

  /** Error raised at build time, naming the layer and both shapes. */
  protected shapeError(expected: string, got: readonly number[], hint = ''): Error {
    return new Error(
      `${this.className} layer '${this.name}': expected input ${expected}, got ${fmtShape([null, ...got])}${hint ? `; ${hint}` : ''}`,
    );
  }
}

/** A reusable output buffer: regrown when a larger batch arrives, otherwise a view of the first n rows. */
export class BatchBuffer {
  private store = new Float32Array(0);

  view(n: number, shape: readonly number[]): Tensor {
    let size = n;
    for (const d of shape) size *= d;
    if (this.store.length < size) this.store = new Float32Array(size);
    return new Tensor(this.store.subarray(0, size), [n, ...shape]);
  }
}

export function pair(v: number | readonly number[], what: string, layer: string): [number, number] {
  const p = typeof v === 'number' ? [v, v] : [...v];
  if (p.length !== 2 || !p.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`${layer}: ${what} must be a positive integer or a pair of them, got ${JSON.stringify(v)}`);
  }
  return [p[0], p[1]];
}

/** Keras's initializer config for model.json. */
export function initializerConfig(init: Initializer): LayerConfig {
  switch (init) {
    case 'zeros':
      return { class_name: 'Zeros', config: {} };
    case 'glorotUniform':
      return { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null } };
    case 'glorotNormal':
      return { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'normal', seed: null } };
    case 'heNormal':
      return { class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_in', distribution: 'normal', seed: null } };
    case 'heUniform':
      return { class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_in', distribution: 'uniform', seed: null } };
  }
}
