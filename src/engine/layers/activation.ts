// Activation layers: Activation('tanh' | 'relu' | ... | 'softmax'), ReLU and LeakyReLU, each a forward and a
// backward over the element-wise kernels. Each writes its own output buffer (its input may be read by others).

import type { Tensor } from '../tensor.js';
import { ActivationStep } from './activation-step.js';
import { checkActivation, commonOptions, readActivation, type LayerActivation } from './config.js';
import { BatchBuffer, Layer, type LayerConfig, type ReluGate, type RunContext } from './layer.js';
import { registerLayer } from './registry.js';

/** What the three layers share: an activation step and the output buffer it writes. */
abstract class ElementwiseActivation extends Layer {
  private readonly y = new BatchBuffer();
  protected abstract readonly step: ActivationStep;

  protected computeOutputShape(s: readonly number[]): number[] {
    return [...s];
  }

  forward(x: Tensor, ctx: RunContext): Tensor {
    return this.step.forward(ctx, x, this.y.view(x.shape[0], this.outputShape));
  }

  backward(dy: Tensor, ctx: RunContext, needDx: boolean, gate?: ReluGate): Tensor | null {
    if (!needDx) return null;
    return gate === 'gated' ? dy : this.step.backward(ctx, dy);
  }

  override get reluGate(): 'ends' | null {
    return this.isRelu ? 'ends' : null;
  }

  override softmaxLogits(): Tensor | null {
    return this.step.logits();
  }

  override backwardFromLogits(dz: Tensor, _ctx: RunContext, needDx: boolean): Tensor | null {
    return needDx ? dz : null;
  }
}

export class Activation extends ElementwiseActivation {
  readonly className = 'Activation';
  readonly activation: LayerActivation;
  protected readonly step: ActivationStep;

  constructor(o: { activation: LayerActivation; inputShape?: number[]; name?: string }) {
    super(o.name, o.inputShape);
    this.activation = checkActivation(o.activation, 'activation');
    this.step = new ActivationStep(this.activation);
  }

  override get isRelu(): boolean {
    return this.activation === 'relu';
  }

  config(): LayerConfig {
    return { activation: this.activation };
  }
}

/** ReLU as a layer (Keras's ReLU with its defaults: no max value, no negative slope, threshold 0). */
export class ReLU extends ElementwiseActivation {
  readonly className = 'ReLU';
  protected readonly step = new ActivationStep('relu');

  constructor(o: { inputShape?: number[]; name?: string } = {}) {
    super(o.name, o.inputShape);
  }

  override get isRelu(): boolean {
    return true;
  }

  config(): LayerConfig {
    return { max_value: null };
  }

  static fromConfig(c: LayerConfig, at: string): ReLU {
    if (c.max_value !== undefined && c.max_value !== null) throw new Error(`${at}: ReLU with max_value is not supported`);
    if (c.negative_slope) throw new Error(`${at}: ReLU with a negative_slope is not supported (use LeakyReLU)`);
    if (c.threshold) throw new Error(`${at}: ReLU with a threshold is not supported`);
    return new ReLU(commonOptions(c));
  }
}

/** LeakyReLU: x for x ≥ 0, alpha·x below (Keras and TensorFlow.js default alpha 0.3). */
export class LeakyReLU extends ElementwiseActivation {
  readonly className = 'LeakyReLU';
  readonly alpha: number;
  protected readonly step: ActivationStep;

  constructor(o: { alpha?: number; inputShape?: number[]; name?: string } = {}) {
    super(o.name, o.inputShape);
    this.alpha = o.alpha ?? 0.3;
    if (!(this.alpha >= 0) || !Number.isFinite(this.alpha)) throw new Error(`leakyReLU: alpha must be a non-negative number, got ${this.alpha}`);
    this.step = new ActivationStep('leakyRelu', this.alpha);
  }

  config(): LayerConfig {
    return { alpha: this.alpha };
  }

  static fromConfig(c: LayerConfig): LeakyReLU {
    return new LeakyReLU({ ...commonOptions(c), alpha: (c.alpha ?? c.negative_slope ?? 0.3) as number });
  }
}

registerLayer('Activation', (c, at) => new Activation({ ...commonOptions(c), activation: readActivation(c, at) }));
registerLayer('ReLU', ReLU.fromConfig);
registerLayer('LeakyReLU', (c) => LeakyReLU.fromConfig(c));
