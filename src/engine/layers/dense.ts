// Dense: y = act(x·W + b) on (batch, features). With a softmax activation the layer also keeps its logits,
// so that cross-entropy can be taken from them (stable) rather than from probabilities.

import type { Tensor } from '../tensor.js';
import { checkActivation } from './conv2d.js';
import { BatchBuffer, initializerConfig, Layer, type Initializer, type LayerConfig, type ParamSpec, type RunContext } from './layer.js';

export type DenseActivation = 'linear' | 'relu' | 'softmax';

export interface DenseOptions {
  units: number;
  activation?: DenseActivation;
  useBias?: boolean;
  kernelInitializer?: Initializer;
  inputShape?: number[];
  name?: string;
}

export class Dense extends Layer {
  readonly className = 'Dense';
  readonly units: number;
  readonly activation: DenseActivation;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  private readonly z = new BatchBuffer();
  private readonly y = new BatchBuffer();
  private readonly dx = new BatchBuffer();
  private readonly dz = new BatchBuffer();
  private x: Tensor | null = null;
  private out: Tensor | null = null;
  /** Pre-softmax values of the last forward, when the activation is softmax. */
  logits: Tensor | null = null;
  private noBias: Float32Array | null = null;
  /** Where the kernel writes the bias gradient of a layer without bias: allocated once, then discarded each step. */
  private noBiasGrad: Float32Array | null = null;

  constructor(o: DenseOptions) {
    super(o.name, o.inputShape);
    if (!Number.isInteger(o.units) || o.units < 1) throw new Error(`dense: units must be a positive integer, got ${o.units}`);
    this.units = o.units;
    this.activation = checkActivation(o.activation ?? 'linear', 'dense', ['linear', 'relu', 'softmax']);
    this.useBias = o.useBias ?? true;
    this.kernelInitializer = o.kernelInitializer ?? 'glorotUniform';
  }

  protected computeOutputShape(s: readonly number[]): number[] {
    if (s.length !== 1) throw this.shapeError('of rank 2 [batch,features]', s, 'add a flatten layer before it');
    return [this.units];
  }

  override paramSpecs(): ParamSpec[] {
    const inSize = this.inputShape![0];
    const specs: ParamSpec[] = [
      { name: 'kernel', shape: [inSize, this.units], init: this.kernelInitializer, fanIn: inSize, fanOut: this.units },
    ];
    if (this.useBias) specs.push({ name: 'bias', shape: [this.units], init: 'zeros', fanIn: 0, fanOut: 0 });
    return specs;
  }

  private bias(): Float32Array {
    return this.useBias ? this.weights[1] : (this.noBias ??= new Float32Array(this.units));
  }

  forward(x: Tensor, ctx: RunContext): Tensor {
    const n = x.shape[0];
    const inSize = this.inputShape![0];
    this.x = x;
    if (this.activation === 'softmax') {
      const z = this.z.view(n, [this.units]);
      ctx.backend.denseForward(x.data, this.weights[0], this.bias(), z.data, n, inSize, this.units, 'linear');
      const y = this.y.view(n, [this.units]);
      ctx.backend.softmax(z.data, y.data, n, this.units);
      this.logits = z;
      this.out = y;
      return y;
    }
    const y = this.y.view(n, [this.units]);
    ctx.backend.denseForward(x.data, this.weights[0], this.bias(), y.data, n, inSize, this.units, this.activation);
    this.out = y;
    return y;
  }

  backward(dy: Tensor, ctx: RunContext, needDx: boolean): Tensor | null {
    const n = dy.shape[0];
    if (this.activation === 'softmax') return this.backwardFromLogits(softmaxBackward(this.out!, dy, this.dz.view(n, [this.units])), ctx, needDx);
    if (this.activation === 'relu') ctx.backend.reluBackward(this.out!.data, dy.data, dy.data);
    return this.backwardFromLogits(dy, ctx, needDx);
  }

  /** Backward from the gradient w.r.t. the pre-activation values (the logits, for softmax). */
  backwardFromLogits(dz: Tensor, ctx: RunContext, needDx: boolean): Tensor | null {
    const x = this.x!;
    const n = x.shape[0];
    const inSize = this.inputShape![0];
    const db = this.useBias ? this.grads[1] : (this.noBiasGrad ??= new Float32Array(this.units));
    const dx = needDx ? this.dx.view(n, [inSize]) : null;
    ctx.backend.denseBackward(x.data, this.weights[0], dz.data, dx ? dx.data : null, this.grads[0], db, n, inSize, this.units);
    return dx;
  }

  config(): LayerConfig {
    return {
      units: this.units,
      activation: this.activation,
      use_bias: this.useBias,
      kernel_initializer: initializerConfig(this.kernelInitializer),
      bias_initializer: initializerConfig('zeros'),
      kernel_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
    };
  }
}

/** dz = y ⊙ (dy − Σ dy⊙y) per row: the softmax Jacobian applied to dy. Only (batch, classes) in size. */
function softmaxBackward(y: Tensor, dy: Tensor, dz: Tensor): Tensor {
  const cols = y.shape[1];
  for (let r = 0; r < y.shape[0]; r++) {
    const o = r * cols;
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += dy.data[o + j] * y.data[o + j];
    for (let j = 0; j < cols; j++) dz.data[o + j] = y.data[o + j] * (dy.data[o + j] - dot);
  }
  return dz;
}
