// Dropout: in training, zero each input with probability `rate` and scale the rest by 1/(1-rate)
// (inverted dropout, as Keras); at inference it is the identity. Masks come from the model's seeded RNG.

import type { Tensor } from '../tensor.js';
import { commonOptions } from './config.js';
import { BatchBuffer, Layer, type LayerConfig, type RunContext } from './layer.js';
import { registerLayer } from './registry.js';

export class Dropout extends Layer {
  readonly className = 'Dropout';
  readonly rate: number;
  private readonly mask = new BatchBuffer();
  private readonly y = new BatchBuffer();
  private readonly dx = new BatchBuffer();
  private applied = false;

  constructor(o: { rate: number; inputShape?: number[]; name?: string }) {
    super(o.name, o.inputShape);
    if (!(o.rate >= 0 && o.rate < 1)) throw new Error(`dropout: rate must be in [0, 1), got ${o.rate}`);
    this.rate = o.rate;
  }

  protected computeOutputShape(s: readonly number[]): number[] {
    return [...s];
  }

  forward(x: Tensor, ctx: RunContext): Tensor {
    this.applied = ctx.training && this.rate > 0;
    if (!this.applied) return x;
    const n = x.shape[0];
    const shape = x.shape.slice(1);
    const mask = this.mask.view(n, shape);
    const keep = 1 / (1 - this.rate);
    ctx.rng.lend((state) => ctx.backend.dropoutMask(state, mask.data.subarray(0, mask.size), this.rate, keep));
    const y = this.y.view(n, shape);
    ctx.backend.mul(x.data, mask.data, y.data);
    return y;
  }

  backward(dy: Tensor, ctx: RunContext, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    if (!this.applied) return dy;
    const dx = this.dx.view(dy.shape[0], dy.shape.slice(1));
    ctx.backend.mul(dy.data, this.mask.view(dy.shape[0], dy.shape.slice(1)).data, dx.data);
    return dx;
  }

  config(): LayerConfig {
    return { rate: this.rate, noise_shape: null, seed: null };
  }

  static fromConfig(c: LayerConfig, at: string): Dropout {
    if (c.noise_shape !== undefined && c.noise_shape !== null) throw new Error(`${at}: Dropout with a noise_shape is not supported`);
    return new Dropout({ ...commonOptions(c), rate: c.rate as number });
  }
}

registerLayer('Dropout', Dropout.fromConfig);
