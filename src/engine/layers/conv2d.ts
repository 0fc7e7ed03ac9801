// Conv2D: NHWC input, (kh,kw,c,filters) kernel, TensorFlow's 'valid'/'same' padding, bias, fused ReLU.

import type { FusedActivation as Activation } from '../backend.js';
import { convGeometry, withBatch, type ConvGeometry, type Padding } from '../geometry.js';
import type { Tensor } from '../tensor.js';
import { BatchBuffer, initializerConfig, Layer, pair, type Initializer, type LayerConfig, type ParamSpec, type RunContext } from './layer.js';

export interface Conv2dOptions {
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: Padding;
  activation?: Activation;
  useBias?: boolean;
  kernelInitializer?: Initializer;
  inputShape?: number[];
  name?: string;
}

export class Conv2D extends Layer {
  readonly className = 'Conv2D';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly activation: Activation;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  private geometry!: ConvGeometry;
  private readonly y = new BatchBuffer();
  private readonly dx = new BatchBuffer();
  private x: Tensor | null = null;
  private out: Tensor | null = null;
  private noBias: Float32Array | null = null;
  /** Where the kernel writes the bias gradient of a layer without bias: allocated once, then discarded each step. */
  private noBiasGrad: Float32Array | null = null;

  constructor(o: Conv2dOptions) {
    super(o.name, o.inputShape);
    if (!Number.isInteger(o.filters) || o.filters < 1) throw new Error(`conv2d: filters must be a positive integer, got ${o.filters}`);
    this.filters = o.filters;
    this.kernelSize = pair(o.kernelSize, 'kernelSize', 'conv2d');
    this.strides = pair(o.strides ?? 1, 'strides', 'conv2d');
    this.padding = o.padding ?? 'valid';
    this.activation = checkActivation(o.activation ?? 'linear', 'conv2d');
    this.useBias = o.useBias ?? true;
    this.kernelInitializer = o.kernelInitializer ?? 'glorotUniform';
  }

  protected computeOutputShape(s: readonly number[]): number[] {
    if (s.length !== 3) throw this.shapeError('of rank 4 [batch,height,width,channels]', s);
    this.geometry = convGeometry(`Conv2D layer '${this.name}'`, [1, ...s], this.kernelSize, this.strides, this.padding, this.filters);
    return [this.geometry.oh, this.geometry.ow, this.filters];
  }

  override paramSpecs(): ParamSpec[] {
    const [kh, kw] = this.kernelSize;
    const c = this.inputShape![2];
    const specs: ParamSpec[] = [
      { name: 'kernel', shape: [kh, kw, c, this.filters], init: this.kernelInitializer, fanIn: kh * kw * c, fanOut: kh * kw * this.filters },
    ];
    if (this.useBias) specs.push({ name: 'bias', shape: [this.filters], init: 'zeros', fanIn: 0, fanOut: 0 });
    return specs;
  }

  private bias(): Float32Array {
    if (this.useBias) return this.weights[1];
    return (this.noBias ??= new Float32Array(this.filters));
  }

  forward(x: Tensor, ctx: RunContext): Tensor {
    const g = withBatch(this.geometry, x.shape[0]);
    const y = this.y.view(g.n, this.outputShape);
    ctx.backend.conv2dForward(x.data, this.weights[0], this.bias(), y.data, g, this.activation);
    this.x = x;
    this.out = y;
    return y;
  }

  backward(dy: Tensor, ctx: RunContext, needDx: boolean): Tensor | null {
    const x = this.x!;
    const g = withBatch(this.geometry, x.shape[0]);
    // ReLU's gradient is applied in place: dy is this layer's to consume.
    if (this.activation === 'relu') ctx.backend.reluBackward(this.out!.data, dy.data, dy.data);
    const db = this.useBias ? this.grads[1] : (this.noBiasGrad ??= new Float32Array(this.filters));
    ctx.backend.conv2dBackwardFilter(x.data, dy.data, this.grads[0], db, g);
    if (!needDx) return null;
    const dx = this.dx.view(g.n, this.inputShape!);
    ctx.backend.conv2dBackwardInput(dy.data, this.weights[0], dx.data, g);
    return dx;
  }

  config(): LayerConfig {
    return {
      filters: this.filters,
      kernel_initializer: initializerConfig(this.kernelInitializer),
      kernel_regularizer: null,
      kernel_constraint: null,
      kernel_size: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      activation: this.activation,
      use_bias: this.useBias,
      bias_initializer: initializerConfig('zeros'),
      bias_regularizer: null,
      activity_regularizer: null,
      bias_constraint: null,
    };
  }
}

export function checkActivation<T extends string>(a: T, layer: string, allowed: readonly string[] = ['linear', 'relu']): T {
  if (!allowed.includes(a)) throw new Error(`${layer}: activation must be one of ${allowed.map((s) => `'${s}'`).join(', ')}, got '${a}'`);
  return a;
}
