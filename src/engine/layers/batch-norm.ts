// BatchNormalization over the last axis (Keras's axis -1): in training, normalize with the batch's mean and
// (biased) variance and move the moving statistics toward them with `momentum`; in inference, and whenever the
// layer is frozen, normalize with the moving statistics. gamma/beta are trainable; moving_mean/moving_variance
// are parameters no optimizer touches, saved with the model.

import type { Tensor } from '../tensor.js';
import { commonOptions, readInitializer } from './config.js';
import { BatchBuffer, Layer, scratchOf, type LayerConfig, type ParamSpec, type RunContext } from './layer.js';
import { registerLayer } from './registry.js';

export interface BatchNormalizationOptions {
  /** Weight of the old moving statistics in each update (Keras: 0.99). */
  momentum?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  inputShape?: number[];
  name?: string;
}

export class BatchNormalization extends Layer {
  readonly className = 'BatchNormalization';
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  private readonly y = new BatchBuffer();
  private readonly batchMean: { buf?: Float32Array } = {};
  private readonly batchVar: { buf?: Float32Array } = {};
  private readonly ones: { buf?: Float32Array } = {};
  private readonly zeros: { buf?: Float32Array } = {};
  private x: Tensor | null = null;
  /** Whether the last forward normalized with this batch's statistics (training) or the moving ones. */
  private usedBatchStats = false;
  /** Whether the last forward applied a ReLU after the normalization (forwardAll's relu). */
  private reluFused = false;
  /**
   * When a number, training-mode forwards replace the moving statistics by the running mean of the batches'
   * statistics (this counts them) instead of the momentum update: how re-estimation ("precise BN") works.
   */
  averagedBatches: number | null = null;

  constructor(o: BatchNormalizationOptions = {}) {
    super(o.name, o.inputShape);
    this.momentum = o.momentum ?? 0.99;
    this.epsilon = o.epsilon ?? 1e-3;
    if (!(this.momentum >= 0 && this.momentum < 1)) throw new Error(`batchNormalization: momentum must be in [0, 1), got ${this.momentum}`);
    if (!(this.epsilon > 0)) throw new Error(`batchNormalization: epsilon must be positive, got ${this.epsilon}`);
    this.center = o.center ?? true;
    this.scale = o.scale ?? true;
  }

  protected computeOutputShape(s: readonly number[]): number[] {
    if (s.length < 1) throw this.shapeError('of rank 2 or more', s);
    return [...s];
  }

  private get channels(): number {
    return this.inputShape![this.inputShape!.length - 1];
  }

  override paramSpecs(): ParamSpec[] {
    const c = [this.channels];
    const p = (name: string, init: 'ones' | 'zeros', trainable: boolean): ParamSpec => ({ name, shape: c, init, fanIn: 0, fanOut: 0, trainable });
    return [
      ...(this.scale ? [p('gamma', 'ones', true)] : []),
      ...(this.center ? [p('beta', 'zeros', true)] : []),
      p('moving_mean', 'zeros', false),
      p('moving_variance', 'ones', false),
    ];
  }

  /** gamma, beta, moving mean and variance: views of the weights, or constants where the layer has no gamma/beta. */
  private views(): { gamma: Float32Array; beta: Float32Array; movingMean: Float32Array; movingVar: Float32Array } {
    let i = 0;
    const c = this.channels;
    const gamma = this.scale ? this.weights[i++] : scratchOf(this.ones, c).fill(1);
    const beta = this.center ? this.weights[i++] : scratchOf(this.zeros, c);
    return { gamma, beta, movingMean: this.weights[i], movingVar: this.weights[i + 1] };
  }

  override get fusesRelu(): boolean {
    return true;
  }

  forward(x: Tensor, ctx: RunContext): Tensor {
    return this.forwardAll([x], ctx);
  }

  /** relu: the output is max(normalized, 0), for a ReLU layer the graph runs here (see Layer.fusesRelu). */
  override forwardAll(xs: Tensor[], ctx: RunContext, relu = false): Tensor {
    const x = xs[0];
    const c = this.channels;
    const rows = x.size / c;
    const { gamma, beta, movingMean, movingVar } = this.views();
    const y = this.y.view(x.shape[0], this.outputShape);
    this.x = x;
    this.reluFused = relu;
    this.usedBatchStats = ctx.training && this.trainable;
    if (!this.usedBatchStats) {
      ctx.backend.batchNormForward(x.data, movingMean, movingVar, gamma, beta, this.epsilon, y.data, rows, c, relu);
      return y;
    }
    const mean = scratchOf(this.batchMean, c);
    const variance = scratchOf(this.batchVar, c);
    ctx.backend.batchNormStats(x.data, mean, variance, rows, c);
    ctx.backend.batchNormForward(x.data, mean, variance, gamma, beta, this.epsilon, y.data, rows, c, relu);
    // Keras: moving = moving·momentum + batch·(1 − momentum), with the biased batch variance.
    const momentum = this.averagedBatches === null ? this.momentum : 1 - 1 / ++this.averagedBatches;
    for (let j = 0; j < c; j++) {
      movingMean[j] = movingMean[j] * momentum + mean[j] * (1 - momentum);
      movingVar[j] = movingVar[j] * momentum + variance[j] * (1 - momentum);
    }
    return y;
  }

  backward(dy: Tensor, ctx: RunContext, needDx: boolean): Tensor | null {
    const c = this.channels;
    const x = this.x!;
    const rows = x.size / c;
    const { gamma, beta, movingMean, movingVar } = this.views();
    const [mean, variance] = this.usedBatchStats ? [this.batchMean.buf!, this.batchVar.buf!] : [movingMean, movingVar];
    const weightGrads = this.wantsWeightGrads(ctx);
    let i = 0;
    const dgamma = weightGrads && this.scale ? this.grads[i++] : null;
    const dbeta = weightGrads && this.center ? this.grads[i++] : null;
    // dx is written over dy (this layer's to overwrite, and of the input's shape): one activation-sized buffer less.
    const dx = needDx ? dy : null;
    if (!dx && !dgamma && !dbeta) return null;
    // After a fused forward, dy is the gradient at the ReLU's output: the kernel masks it as the ReLU would.
    const reluBeta = this.reluFused ? beta : null;
    ctx.backend.batchNormBackward(x.data, mean, variance, gamma, this.epsilon, dy.data, dx ? dx.data : null, dgamma, dbeta, rows, c, this.usedBatchStats, reluBeta);
    return dx;
  }

  config(): LayerConfig {
    const init = (name: string): LayerConfig => ({ class_name: name, config: {} });
    return {
      axis: -1,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      beta_initializer: init('Zeros'),
      gamma_initializer: init('Ones'),
      moving_mean_initializer: init('Zeros'),
      moving_variance_initializer: init('Ones'),
      beta_regularizer: null,
      gamma_regularizer: null,
      beta_constraint: null,
      gamma_constraint: null,
    };
  }

  static fromConfig(c: LayerConfig, at: string): BatchNormalization {
    const axis = Array.isArray(c.axis) && c.axis.length === 1 ? c.axis[0] : c.axis ?? -1;
    if (axis !== -1 && axis !== 3 && axis !== 1) {
      // 3 (rank-4 input) and 1 (rank-2 input) are the last axis too; the build checks the rank agrees.
      throw new Error(`${at}: axis ${JSON.stringify(c.axis)} is not supported (the last axis, -1, is)`);
    }
    if (c.renorm) throw new Error(`${at}: batch renormalization is not supported`);
    for (const k of ['gamma_regularizer', 'beta_regularizer']) if (c[k]) throw new Error(`${at}: ${k} is not supported`);
    for (const k of ['gamma_initializer', 'beta_initializer']) readInitializer(c[k]);
    const layer = new BatchNormalization({
      ...commonOptions(c),
      momentum: (c.momentum as number) ?? 0.99,
      epsilon: (c.epsilon as number) ?? 1e-3,
      center: (c.center as boolean) ?? true,
      scale: (c.scale as boolean) ?? true,
    });
    layer.declaredAxis = axis as number;
    return layer;
  }

  /** The axis the config named, checked against the input's rank when the layer is built. */
  private declaredAxis = -1;

  override build(inputShapes: readonly (readonly number[])[]): number[] {
    const out = super.build(inputShapes);
    if (this.declaredAxis !== -1 && this.declaredAxis !== inputShapes[0].length) {
      throw new Error(`${this.describe()}: axis ${this.declaredAxis} is not the last axis of input ${JSON.stringify([null, ...inputShapes[0]])}; only the last axis is supported`);
    }
    return out;
  }
}

registerLayer('BatchNormalization', BatchNormalization.fromConfig);
