// Conv2D: NHWC input, (kh,kw,c,filters) kernel, TensorFlow's 'valid'/'same' padding (asymmetric for stride 2),
// optional bias, any element-wise activation (relu fused into the kernel), optional L2 penalty on the kernel.

import { convGeometry, withBatch, type ConvGeometry, type Padding } from '../geometry.js';
import type { Tensor } from '../tensor.js';
import { ActivationStep } from './activation-step.js';
import {
  channelsLast, checkActivation, commonOptions, initializerConfig, LAYER_ACTIVATIONS, readActivation, readInitializer,
  readRegularizer, regularizerConfig, type LayerActivation, type Regularizer,
} from './config.js';
import {
  BatchBuffer, Layer, pair, type Initializer, type LayerConfig, type ParamSpec, type PoolTarget, type ReluGate, type RunContext,
} from './layer.js';
import { registerLayer } from './registry.js';

const CONV_ACTIVATIONS = LAYER_ACTIVATIONS.filter((a) => a !== 'softmax');

export interface Conv2dOptions {
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: Padding;
  activation?: Exclude<LayerActivation, 'softmax'>;
  useBias?: boolean;
  kernelInitializer?: Initializer;
  kernelRegularizer?: Regularizer | null;
  inputShape?: number[];
  name?: string;
}

export class Conv2D extends Layer {
  readonly className = 'Conv2D';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly activation: Exclude<LayerActivation, 'softmax'>;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | null;
  private geometry!: ConvGeometry;
  private readonly act: ActivationStep;
  private readonly y = new BatchBuffer();
  private readonly dx = new BatchBuffer();
  private x: Tensor | null = null;

  constructor(o: Conv2dOptions) {
    super(o.name, o.inputShape);
    if (!Number.isInteger(o.filters) || o.filters < 1) throw new Error(`conv2d: filters must be a positive integer, got ${o.filters}`);
    this.filters = o.filters;
    this.kernelSize = pair(o.kernelSize, 'kernelSize', 'conv2d');
    this.strides = pair(o.strides ?? 1, 'strides', 'conv2d');
    this.padding = o.padding ?? 'valid';
    this.activation = checkActivation(o.activation ?? 'linear', 'conv2d', CONV_ACTIVATIONS) as Conv2D['activation'];
    this.act = new ActivationStep(this.activation);
    this.useBias = o.useBias ?? true;
    this.kernelInitializer = o.kernelInitializer ?? 'glorotUniform';
    this.kernelRegularizer = o.kernelRegularizer ?? null;
  }

  protected computeOutputShape(s: readonly number[]): number[] {
    if (s.length !== 3) throw this.shapeError('of rank 4 [batch,height,width,channels]', s);
    this.geometry = convGeometry(this.describe(), [1, ...s], this.kernelSize, this.strides, this.padding, this.filters);
    return [this.geometry.oh, this.geometry.ow, this.filters];
  }

  override paramSpecs(): ParamSpec[] {
    const [kh, kw] = this.kernelSize;
    const c = this.inputShape![2];
    const specs: ParamSpec[] = [{
      name: 'kernel', shape: [kh, kw, c, this.filters], init: this.kernelInitializer, fanIn: kh * kw * c, fanOut: kh * kw * this.filters,
      trainable: true, ...(this.kernelRegularizer ? { l2: this.kernelRegularizer.l2 } : {}),
    }];
    if (this.useBias) specs.push({ name: 'bias', shape: [this.filters], init: 'zeros', fanIn: 0, fanOut: 0, trainable: true });
    return specs;
  }

  forward(x: Tensor, ctx: RunContext): Tensor {
    const g = withBatch(this.geometry, x.shape[0]);
    const y = this.y.view(g.n, this.outputShape);
    const bias = this.useBias ? this.weights[1] : null;
    const fused = this.act.fusable;
    ctx.backend.conv2dForward(x.data, this.weights[0], bias, y.data, g, fused ? (this.activation as 'relu' | 'linear') : 'linear');
    this.x = x;
    return this.act.forward(ctx, y, y, fused);
  }

  override get poolsOutput(): boolean {
    return this.act.fusable;
  }

  override forwardPooled(x: Tensor, ctx: RunContext, pool: PoolTarget): Tensor {
    const g = withBatch(this.geometry, x.shape[0]);
    const bias = this.useBias ? this.weights[1] : null;
    ctx.backend.conv2dMaxPoolForward(x.data, this.weights[0], bias, pool.y.data, pool.argmax, g, pool.g, this.activation as 'relu' | 'linear');
    this.x = x;
    return pool.y;
  }

  override backwardPooled(dy: Tensor, ctx: RunContext, pool: PoolTarget): void {
    if (!this.wantsWeightGrads(ctx)) return;
    const g = withBatch(this.geometry, dy.shape[0]);
    ctx.backend.conv2dBackwardFilterPooled(this.x!.data, dy.data, pool.argmax, this.grads[0], this.useBias ? this.grads[1] : null, g, pool.g);
  }

  override get reluGate(): 'ends' | null {
    return this.activation === 'relu' ? 'ends' : null;
  }

  backward(dy: Tensor, ctx: RunContext, needDx: boolean, gate?: ReluGate): Tensor | null {
    const x = this.x!;
    const g = withBatch(this.geometry, x.shape[0]);
    const dz = gate === 'gated' ? dy : this.act.backward(ctx, dy);
    if (this.wantsWeightGrads(ctx)) {
      ctx.backend.conv2dBackwardFilter(x.data, dz.data, this.grads[0], this.useBias ? this.grads[1] : null, g);
    }
    if (!needDx) return null;
    const dx = this.dx.view(g.n, this.inputShape!);
    ctx.backend.conv2dBackwardInput(dz.data, this.weights[0], dx.data, g);
    return dx;
  }

  config(): LayerConfig {
    return {
      filters: this.filters,
      kernel_initializer: initializerConfig(this.kernelInitializer),
      kernel_regularizer: regularizerConfig(this.kernelRegularizer),
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

  static fromConfig(c: LayerConfig, at: string): Conv2D {
    channelsLast(c, at);
    const dil = c.dilation_rate as number[] | number | undefined;
    if (dil !== undefined && (Array.isArray(dil) ? dil : [dil]).some((d) => d !== 1)) throw new Error(`${at}: dilated convolutions are not supported`);
    if ((c.groups ?? 1) !== 1) throw new Error(`${at}: grouped convolutions are not supported`);
    if (c.bias_regularizer) throw new Error(`${at}: bias_regularizer is not supported (kernel_regularizer is)`);
    return new Conv2D({
      ...commonOptions(c),
      filters: c.filters as number,
      kernelSize: c.kernel_size as [number, number],
      strides: (c.strides as [number, number]) ?? 1,
      padding: c.padding as Padding,
      activation: readActivation(c, at, CONV_ACTIVATIONS) as Conv2D['activation'],
      useBias: (c.use_bias as boolean) ?? true,
      kernelInitializer: readInitializer(c.kernel_initializer),
      kernelRegularizer: readRegularizer(c.kernel_regularizer, at),
    });
  }
}

registerLayer(['Conv2D', 'Convolution2D'], Conv2D.fromConfig);
