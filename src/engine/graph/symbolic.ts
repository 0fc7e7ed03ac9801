// Symbolic tensors: the edges of a model's graph before any data flows. Each one records the layer that
// produced it and that layer's inputs, so a model can be traced back from its output. Shapes are per example
// (no batch axis) and are checked when a layer is applied, where the mistake is made.

import { fmtShape } from '../tensor.js';

/** What a symbolic tensor needs to know of the layer that made it (the graph code holds the full Layer). */
export interface Producer {
  readonly className: string;
  name: string;
}

export class SymbolicTensor {
  private static nextId = 0;
  /** Creation order: a stable tie-break for ordering layers. */
  readonly id = SymbolicTensor.nextId++;

  constructor(
    readonly shape: readonly number[],
    readonly producer: Producer,
    readonly inputs: readonly SymbolicTensor[],
  ) {}

  toString(): string {
    return `SymbolicTensor ${fmtShape([null, ...this.shape])} from ${this.producer.className} '${this.producer.name}'`;
  }
}
