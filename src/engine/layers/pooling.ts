// MaxPooling2D over NHWC windows; the forward keeps the argmax of each window for the backward.

import { windowGeometry, withBatch, type Padding, type WindowGeometry } from '../geometry.js';
import type { Tensor } from '../tensor.js';
import { BatchBuffer, Layer, pair, type LayerConfig, type RunContext } from './layer.js';

export interface MaxPooling2dOptions {
  poolSize?: number | [number, number];
  strides?: number | [number, number];
  padding?: Padding;
  inputShape?: number[];
  name?: string;
}

export class MaxPooling2D extends Layer {
  readonly className = 'MaxPooling2D';
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  private geometry!: WindowGeometry;
  private readonly y = new BatchBuffer();
  private readonly dx = new BatchBuffer();
  private argmax = new Int32Array(0);

  constructor(o: MaxPooling2dOptions = {}) {
    super(o.name, o.inputShape);
    this.poolSize = pair(o.poolSize ?? 2, 'poolSize', 'maxPooling2d');
    this.strides = pair(o.strides ?? this.poolSize, 'strides', 'maxPooling2d');
    this.padding = o.padding ?? 'valid';
  }

  protected computeOutputShape(s: readonly number[]): number[] {
    if (s.length !== 3) throw this.shapeError('of rank 4 [batch,height,width,channels]', s);
    this.geometry = windowGeometry(`MaxPooling2D layer '${this.name}'`, [1, ...s], this.poolSize, this.strides, this.padding);
    return [this.geometry.oh, this.geometry.ow, s[2]];
  }

  forward(x: Tensor, ctx: RunContext): Tensor {
    const g = withBatch(this.geometry, x.shape[0]);
    const y = this.y.view(g.n, this.outputShape);
    if (this.argmax.length < y.size) this.argmax = new Int32Array(y.size);
    ctx.backend.maxPool2dForward(x.data, y.data, this.argmax, g);
    return y;
  }

  backward(dy: Tensor, ctx: RunContext, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    const g = withBatch(this.geometry, dy.shape[0]);
    const dx = this.dx.view(g.n, this.inputShape!);
    ctx.backend.maxPool2dBackward(dy.data, this.argmax, dx.data, g);
    return dx;
  }

  config(): LayerConfig {
    return { pool_size: this.poolSize, padding: this.padding, strides: this.strides, data_format: 'channels_last' };
  }
}
