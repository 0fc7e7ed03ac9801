// Dense: y = act(x·W + b) on (batch, features). relu is fused into the kernel; softmax keeps its logits so
// that cross-entropy can be taken from them (stable) rather than from probabilities.

import type { Tensor } from '../tensor.js';
import { ActivationStep } from './activation-step.js';
import {
  checkActivation, commonOptions, initializerConfig, readActivation, readInitializer, readRegularizer, regularizerConfig,
  type LayerActivation, type Regularizer,
} from './config.js';
import { BatchBuffer, Layer, type Initializer, type LayerConfig, type ParamSpec, type RunContext } from './layer.js';
import { registerLayer } from './registry.js';

export type DenseActivation = LayerActivation;

export interface DenseOptions {
  units: number;
  activation?: DenseActivation;
  useBias?: boolean;
  kernelInitializer?: Initializer;
  kernelRegularizer?: Regularizer | null;
  inputShape?: number[];
  name?: string;
}

export class Dense extends Layer {
  readonly className = 'Dense';
  readonly units: number;
  readonly activation: DenseActivation;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | null;
  private readonly act: ActivationStep;
  private readonly y = new BatchBuffer();
  private readonly dx = new BatchBuffer();
  private x: Tensor | null = null;

  constructor(o: DenseOptions) {
    super(o.name, o.inputShape);
    if (!Number.isInteger(o.units) || o.units < 1) throw new Error(`dense: units must be a positive integer, got ${o.units}`);
    this.units = o.units;
    this.activation = checkActivation(o.activation ?? 'linear', 'dense');
    this.act = new ActivationStep(this.activation);
    this.useBias = o.useBias ?? true;
    this.kernelInitializer = o.kernelInitializer ?? 'glorotUniform';
    this.kernelRegularizer = o.kernelRegularizer ?? null;
  }

  protected computeOutputShape(s: readonly number[]): number[] {
    if (s.length !== 1) throw this.shapeError('of rank 2 [batch,features]', s, 'add a flatten layer before it');
    return [this.units];
  }

  override paramSpecs(): ParamSpec[] {
    const inSize = this.inputShape![0];
    const specs: ParamSpec[] = [{
      name: 'kernel', shape: [inSize, this.units], init: this.kernelInitializer, fanIn: inSize, fanOut: this.units, trainable: true,
      ...(this.kernelRegularizer ? { l2: this.kernelRegularizer.l2 } : {}),
    }];
    if (this.useBias) specs.push({ name: 'bias', shape: [this.units], init: 'zeros', fanIn: 0, fanOut: 0, trainable: true });
    return specs;
  }

  forward(x: Tensor, ctx: RunContext): Tensor {
    const n = x.shape[0];
    const z = this.y.view(n, [this.units]);
    const bias = this.useBias ? this.weights[1] : null;
    const fused = this.act.fusable;
    ctx.backend.denseForward(x.data, this.weights[0], bias, z.data, n, this.inputShape![0], this.units, fused ? (this.activation as 'relu' | 'linear') : 'linear');
    this.x = x;
    return this.act.forward(ctx, z, z, fused);
  }

  backward(dy: Tensor, ctx: RunContext, needDx: boolean): Tensor | null {
    return this.backwardFromLogits(this.act.backward(ctx, dy), ctx, needDx);
  }

  override softmaxLogits(): Tensor | null {
    return this.act.logits();
  }

  /** Backward from the gradient w.r.t. the pre-activation values (the logits, for softmax). */
  override backwardFromLogits(dz: Tensor, ctx: RunContext, needDx: boolean): Tensor | null {
    const x = this.x!;
    const n = x.shape[0];
    const inSize = this.inputShape![0];
    const dx = needDx ? this.dx.view(n, [inSize]) : null;
    if (this.wantsWeightGrads(ctx)) {
      const db = this.useBias ? this.grads[1] : null;
      ctx.backend.denseBackward(x.data, this.weights[0], dz.data, dx ? dx.data : null, this.grads[0], db, n, inSize, this.units);
    } else if (dx) {
      ctx.backend.matmul(dz.data, this.weights[0], dx.data, n, inSize, this.units, false, true);
    }
    return dx;
  }

  config(): LayerConfig {
    return {
      units: this.units,
      activation: this.activation,
      use_bias: this.useBias,
      kernel_initializer: initializerConfig(this.kernelInitializer),
      bias_initializer: initializerConfig('zeros'),
      kernel_regularizer: regularizerConfig(this.kernelRegularizer),
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
    };
  }

  static fromConfig(c: LayerConfig, at: string): Dense {
    if (c.bias_regularizer) throw new Error(`${at}: bias_regularizer is not supported (kernel_regularizer is)`);
    return new Dense({
      ...commonOptions(c),
      units: c.units as number,
      activation: readActivation(c, at),
      useBias: (c.use_bias as boolean) ?? true,
      kernelInitializer: readInitializer(c.kernel_initializer),
      kernelRegularizer: readRegularizer(c.kernel_regularizer, at),
    });
  }
}

registerLayer('Dense', Dense.fromConfig);
