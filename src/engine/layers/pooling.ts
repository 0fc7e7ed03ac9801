// Pooling over NHWC windows: MaxPooling2D (the forward keeps each window's argmax for the backward),
// AveragePooling2D (TensorFlow's: padding cells are not counted), and GlobalAveragePooling2D.

import { windowGeometry, withBatch, type Padding, type WindowGeometry } from '../geometry.js';
import type { Tensor } from '../tensor.js';
import { channelsLast, commonOptions } from './config.js';
import { BatchBuffer, Layer, pair, type LayerConfig, type PoolTarget, type ReluGate, type RunContext } from './layer.js';
import { registerLayer } from './registry.js';

export interface Pooling2dOptions {
  poolSize?: number | [number, number];
  strides?: number | [number, number];
  padding?: Padding;
  inputShape?: number[];
  name?: string;
}
export type MaxPooling2dOptions = Pooling2dOptions;

/** What max and average pooling share: the window, its geometry, the output and input-gradient buffers. */
abstract class Pooling2D extends Layer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  protected geometry!: WindowGeometry;
  protected readonly y = new BatchBuffer();
  protected readonly dx = new BatchBuffer();

  constructor(o: Pooling2dOptions, op: string) {
    super(o.name, o.inputShape);
    this.poolSize = pair(o.poolSize ?? 2, 'poolSize', op);
    this.strides = pair(o.strides ?? this.poolSize, 'strides', op);
    this.padding = o.padding ?? 'valid';
  }

  protected computeOutputShape(s: readonly number[]): number[] {
    if (s.length !== 3) throw this.shapeError('of rank 4 [batch,height,width,channels]', s);
    this.geometry = windowGeometry(this.describe(), [1, ...s], this.poolSize, this.strides, this.padding);
    return [this.geometry.oh, this.geometry.ow, s[2]];
  }

  config(): LayerConfig {
    return { pool_size: this.poolSize, padding: this.padding, strides: this.strides, data_format: 'channels_last' };
  }

  static options(c: LayerConfig, at: string): Pooling2dOptions {
    channelsLast(c, at);
    return {
      ...commonOptions(c),
      poolSize: c.pool_size as [number, number],
      strides: (c.strides as [number, number] | null) ?? undefined,
      padding: c.padding as Padding,
    };
  }
}

export class MaxPooling2D extends Pooling2D {
  readonly className = 'MaxPooling2D';
  private argmax = new Int32Array(0);

  constructor(o: Pooling2dOptions = {}) {
    super(o, 'maxPooling2d');
  }

  forward(x: Tensor, ctx: RunContext): Tensor {
    const { y, argmax, g } = this.poolTarget(x.shape[0]);
    ctx.backend.maxPool2dForward(x.data, y.data, argmax, g);
    return y;
  }

  override get isMaxPool(): boolean {
    return true;
  }

  override poolTarget(n: number): PoolTarget {
    const y = this.y.view(n, this.outputShape);
    if (this.argmax.length < y.size) this.argmax = new Int32Array(y.size);
    return { y, argmax: this.argmax, g: withBatch(this.geometry, n) };
  }

  override get reluGate(): 'gates' {
    return 'gates';
  }

  backward(dy: Tensor, ctx: RunContext, needDx: boolean, gate?: ReluGate): Tensor | null {
    if (!needDx) return null;
    const g = withBatch(this.geometry, dy.shape[0]);
    const dx = this.dx.view(g.n, this.inputShape!);
    ctx.backend.maxPool2dBackward(this.gateGradient(dy, ctx, gate).data, this.argmax, dx.data, g);
    return dx;
  }

  override gateGradient(dy: Tensor, ctx: RunContext, gate?: ReluGate): Tensor {
    // For the ReLU before: y is its value at each argmax (dy is ours to overwrite; a quarter of dx's size
    // with 2x2 windows).
    if (gate === 'gates') ctx.backend.activationBackward('relu', this.y.view(dy.shape[0], this.outputShape).data, dy.data, dy.data, 0);
    return dy;
  }
}

export class AveragePooling2D extends Pooling2D {
  readonly className = 'AveragePooling2D';

  constructor(o: Pooling2dOptions = {}) {
    super(o, 'averagePooling2d');
  }

  forward(x: Tensor, ctx: RunContext): Tensor {
    const g = withBatch(this.geometry, x.shape[0]);
    const y = this.y.view(g.n, this.outputShape);
    ctx.backend.avgPool2dForward(x.data, y.data, g);
    return y;
  }

  backward(dy: Tensor, ctx: RunContext, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    const g = withBatch(this.geometry, dy.shape[0]);
    const dx = this.dx.view(g.n, this.inputShape!);
    ctx.backend.avgPool2dBackward(dy.data, dx.data, g);
    return dx;
  }
}

/** (n,h,w,c) → (n,c): the mean of each channel over the image. */
export class GlobalAveragePooling2D extends Layer {
  readonly className = 'GlobalAveragePooling2D';
  private readonly y = new BatchBuffer();
  private readonly dx = new BatchBuffer();

  constructor(o: { inputShape?: number[]; name?: string } = {}) {
    super(o.name, o.inputShape);
  }

  protected computeOutputShape(s: readonly number[]): number[] {
    if (s.length !== 3) throw this.shapeError('of rank 4 [batch,height,width,channels]', s);
    return [s[2]];
  }

  forward(x: Tensor, ctx: RunContext): Tensor {
    const [h, w, c] = this.inputShape!;
    const y = this.y.view(x.shape[0], [c]);
    ctx.backend.globalAvgPoolForward(x.data, y.data, x.shape[0], h * w, c);
    return y;
  }

  backward(dy: Tensor, ctx: RunContext, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    const [h, w, c] = this.inputShape!;
    const dx = this.dx.view(dy.shape[0], this.inputShape!);
    ctx.backend.globalAvgPoolBackward(dy.data, dx.data, dy.shape[0], h * w, c);
    return dx;
  }

  config(): LayerConfig {
    return { data_format: 'channels_last' };
  }

  static fromConfig(c: LayerConfig, at: string): GlobalAveragePooling2D {
    channelsLast(c, at);
    if (c.keepdims) throw new Error(`${at}: keepdims: true is not supported`);
    return new GlobalAveragePooling2D(commonOptions(c));
  }
}

registerLayer(['MaxPooling2D', 'MaxPool2D'], (c, at) => new MaxPooling2D(Pooling2D.options(c, at)));
registerLayer(['AveragePooling2D', 'AvgPool2D'], (c, at) => new AveragePooling2D(Pooling2D.options(c, at)));
registerLayer(['GlobalAveragePooling2D', 'GlobalAvgPool2D'], GlobalAveragePooling2D.fromConfig);
