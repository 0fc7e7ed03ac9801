// Flatten: (batch, ...) → (batch, features) in NHWC order, as Keras does; a view, no copy.

import type { Tensor } from '../tensor.js';
import { channelsLast, commonOptions } from './config.js';
import { Layer, type LayerConfig } from './layer.js';
import { registerLayer } from './registry.js';

export class Flatten extends Layer {
  readonly className = 'Flatten';

  constructor(o: { inputShape?: number[]; name?: string } = {}) {
    super(o.name, o.inputShape);
  }

  protected computeOutputShape(s: readonly number[]): number[] {
    if (s.length < 1) throw this.shapeError('of rank 2 or more', s);
    return [s.reduce((a, b) => a * b, 1)];
  }

  forward(x: Tensor): Tensor {
    return x.reshape([x.shape[0], this.outputShape[0]]);
  }

  backward(dy: Tensor, _ctx: unknown, needDx: boolean): Tensor | null {
    return needDx ? dy.reshape([dy.shape[0], ...this.inputShape!]) : null;
  }

  config(): LayerConfig {
    return { data_format: 'channels_last' };
  }
}

registerLayer('Flatten', (c, at) => {
  channelsLast(c, at);
  return new Flatten(commonOptions(c));
});
