// Sequential: the simple case of a graph model, a stack of layers each reading the one before. The first
// layer declares the input shape; model.layers lists the stack without the implicit input, as Keras does.

import { InputLayer } from '../layers/input-layer.js';
import type { Layer } from '../layers/layer.js';
import { Model } from './model.js';

export class Sequential extends Model {
  override readonly className: string = 'Sequential';

  constructor(layers: Layer[], o: { seed?: number; name?: string } = {}) {
    const name = o.name ?? 'sequential';
    if (layers.length === 0) throw new Error(`sequential: a model needs at least one layer`);
    const first = layers[0];
    if (!first.inputShape) {
      throw new Error(`sequential: the first layer (${first.className}) needs an inputShape, e.g. inputShape: [28, 28, 1]`);
    }
    const input = new InputLayer({ shape: first.inputShape }).output!;
    let t = input;
    for (const l of layers) t = l.apply(t);
    super({ inputs: input, outputs: t, name, seed: o.seed });
  }

  protected override listedLayers(all: Layer[]): Layer[] {
    return all.slice(1);
  }
}

export function sequential(layers: Layer[], o: { seed?: number; name?: string } = {}): Sequential {
  return new Sequential(layers, o);
}
