// InputLayer: the source of a graph. `input({ shape })` makes one and returns its symbolic tensor; it computes
// nothing (the model feeds it the batch).

import { SymbolicTensor } from '../graph/symbolic.js';
import type { Tensor } from '../tensor.js';
import { Layer, type LayerConfig } from './layer.js';

export class InputLayer extends Layer {
  readonly className = 'InputLayer';

  constructor(o: { shape: readonly number[]; name?: string }) {
    super(o.name, o.shape);
    if (!Array.isArray(o.shape) || o.shape.length === 0 || !o.shape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new Error(`input: shape must be a non-empty list of positive integers (without the batch axis), got ${JSON.stringify(o.shape)}`);
    }
    this.inputShapes = [[...o.shape]];
    this.outputShape = [...o.shape];
    this.output = new SymbolicTensor(this.outputShape, this, []);
  }

  protected computeOutputShape(s: readonly number[]): number[] {
    return [...s];
  }

  forward(x: Tensor): Tensor {
    return x;
  }

  backward(dy: Tensor): Tensor {
    return dy;
  }

  config(): LayerConfig {
    return { batch_input_shape: [null, ...this.outputShape], dtype: 'float32', sparse: false };
  }
}

/** The symbolic input of a functional model: `const x = input({ shape: [28, 28, 1] })`. */
export function input(o: { shape: readonly number[]; name?: string }): SymbolicTensor {
  return new InputLayer(o).output!;
}
