// What every layer is: a shape rule (build), the parameters it declares, a forward/backward pair, and its
// Keras config. Single-input layers implement forward/backward; layers of several inputs (Add, Concatenate)
// override forwardAll/backwardAll. Buffers are allocated once and regrown only when a larger batch arrives,
// so training allocates nothing per batch. `apply` places the layer in a graph (see graph/symbolic.ts).

import type { Backend } from '../backend.js';
import type { WindowGeometry } from '../geometry.js';
import { SymbolicTensor } from '../graph/symbolic.js';
import type { Random } from '../random.js';
import { fmtShape, Tensor } from '../tensor.js';

/** A layer's part in a backward ReLU fusion of one pass (see Layer.reluGate). */
export type ReluGate = 'gated' | 'gates';

/** The buffers a max pooling hands the layer before it to pool into (see Layer.poolsOutput). */
export interface PoolTarget {
  y: Tensor;
  argmax: Int32Array;
  g: WindowGeometry;
}

export type Initializer = 'glorotUniform' | 'glorotNormal' | 'heNormal' | 'heUniform' | 'zeros' | 'ones';

/** A parameter a layer declares; the model places it in its flat parameter buffer. */
export interface ParamSpec {
  /** Keras's weight name inside the layer: 'kernel', 'bias', 'gamma', 'beta', 'moving_mean', 'moving_variance'. */
  name: string;
  shape: number[];
  init: Initializer;
  fanIn: number;
  fanOut: number;
  /** False for state that no optimizer touches (BatchNormalization's moving statistics). */
  trainable: boolean;
  /** L2 penalty factor: l2 · Σ w² is added to the loss (Keras's kernel_regularizer). */
  l2?: number;
}

export interface RunContext {
  backend: Backend;
  training: boolean;
  rng: Random;
  /** Whether layers should fill their weight gradients (false for input-gradient-only passes). */
  weightGrads: boolean;
}

/** A Keras layer config entry as it appears in model.json (snake_case keys). */
export type LayerConfig = Record<string, unknown>;

export abstract class Layer {
  /** Keras class name, as written in model.json ('Conv2D', 'Dense', ...). */
  abstract readonly className: string;
  name: string;
  /** A frozen layer (false) gets no weight gradient and no update; a frozen BatchNormalization runs in inference mode. */
  trainable = true;
  /** Per-example input shape, without the batch axis (the first input's, for layers of several inputs). */
  inputShape: number[] | null;
  inputShapes: number[][] = [];
  outputShape: number[] = [];
  /** Views into the model's flat parameter and gradient buffers, in `paramSpecs()` order. */
  weights: Float32Array[] = [];
  grads: Float32Array[] = [];
  /** The symbolic tensor this layer produced when applied; a layer is applied once. */
  output: SymbolicTensor | null = null;

  constructor(name: string | undefined, inputShape: readonly number[] | undefined) {
    this.name = name ?? '';
    this.inputShape = inputShape ? [...inputShape] : null;
  }

  /** Checks the input shapes and returns the output shape (all without batch). */
  build(inputShapes: readonly (readonly number[])[]): number[] {
    if (inputShapes.length !== 1) throw new Error(`${this.describe()}: takes one input, got ${inputShapes.length}`);
    this.inputShapes = inputShapes.map((s) => [...s]);
    this.inputShape = [...inputShapes[0]];
    this.outputShape = this.computeOutputShape(inputShapes[0]);
    return this.outputShape;
  }

  protected abstract computeOutputShape(inputShape: readonly number[]): number[];

  paramSpecs(): ParamSpec[] {
    return [];
  }

  /** Places the layer in a graph: the symbolic output of this layer on `inputs`, its shape checked now. */
  apply(inputs: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
    const xs = Array.isArray(inputs) ? inputs : [inputs];
    if (this.output) {
      throw new Error(`${this.describe()} is already applied in a graph; a layer is used once (create a new layer, or load the model from its config)`);
    }
    if (xs.length === 0 || !xs.every((x) => x instanceof SymbolicTensor)) {
      throw new Error(`${this.describe()}: apply() takes symbolic tensors (from input() or another layer's apply())`);
    }
    const shape = this.build(xs.map((x) => x.shape));
    this.output = new SymbolicTensor(shape, this, xs);
    return this.output;
  }

  abstract forward(x: Tensor, ctx: RunContext): Tensor;

  /**
   * dy: gradient of the loss w.r.t. this layer's last output; fills `grads`; returns dx, or null when not needed.
   * gate (see reluGate): 'gated' — dy is already 0 wherever this layer's ReLU output is 0, so its own ReLU
   * backward is skipped; 'gates' — this layer gates its dy for the ReLU before it.
   */
  abstract backward(dy: Tensor, ctx: RunContext, needDx: boolean, gate?: ReluGate): Tensor | null;

  /**
   * Whether this layer can apply a ReLU to its own output in the same pass (forwardAll's relu): the graph then
   * runs a ReLU layer that alone reads this layer's output inside this layer, and skips it. The backward
   * knows from the forward it follows.
   */
  get fusesRelu(): boolean {
    return false;
  }

  /**
   * The other ReLU fusion, for the backward only: 'ends' — this layer's output is max(z, 0) and its own
   * backward gates the gradient by it (Conv2D with activation 'relu', a ReLU layer); 'gates' — this
   * layer can gate its own output gradient for such a layer before it, on its smaller output (MaxPooling2D:
   * each window's maximum is the ReLU's value at the cell the gradient goes to, so gating dy by y > 0 before
   * the scatter gives the same dx, bit for bit, as gating dx by x > 0 after it). null: neither.
   */
  get reluGate(): 'ends' | 'gates' | null {
    return null;
  }

  /** Whether this layer is a plain ReLU (max(x, 0)), which a layer that fusesRelu may run for it. */
  get isRelu(): boolean {
    return false;
  }

  /**
   * A forward fusion with the MaxPooling2D that alone reads this layer's output: true where forwardPooled can
   * compute that pooling's output and argmax in this layer's own pass (Conv2D with a fused activation), so
   * that this layer's own output is never written out and read back. In the backward the pooling layer
   * gives it the gradient at its output as before (gated, where it ends in a ReLU), or, where this layer
   * wants no input gradient, the pooled gradient itself (backwardPooled).
   */
  get poolsOutput(): boolean {
    return false;
  }

  /** Whether this layer is a max pooling that its input's producer may run (poolTarget gives its buffers). */
  get isMaxPool(): boolean {
    return false;
  }

  /** This layer's forward on x, pooled into `pool`'s buffers (see poolsOutput); returns the pooled output. */
  forwardPooled(_x: Tensor, _ctx: RunContext, _pool: PoolTarget): Tensor {
    throw new Error(`${this.describe()} cannot pool its output`);
  }

  /** The output and argmax buffers for a batch of n, for a producer that pools into them (where isMaxPool). */
  poolTarget(_n: number): PoolTarget {
    throw new Error(`${this.describe()} is not a max pooling`);
  }

  /**
   * forwardPooled's backward where no input gradient is wanted: the weight gradients from dy, the gradient at
   * the pooling's output (gated by it), routed through its argmax; the gradient at this layer's own output is
   * never formed.
   */
  backwardPooled(_dy: Tensor, _ctx: RunContext, _pool: PoolTarget): void {
    throw new Error(`${this.describe()} cannot take a pooled gradient`);
  }

  /** A max pooling's part of backwardPooled: dy gated for the ReLU before it where gate is 'gates' (in place). */
  gateGradient(_dy: Tensor, _ctx: RunContext, _gate?: ReluGate): Tensor {
    throw new Error(`${this.describe()} is not a max pooling`);
  }

  /** The graph calls these; layers of several inputs override them. relu: only where fusesRelu. */
  forwardAll(xs: Tensor[], ctx: RunContext, relu = false): Tensor {
    if (relu) throw new Error(`${this.describe()} cannot apply a fused ReLU`);
    return this.forward(xs[0], ctx);
  }

  backwardAll(dy: Tensor, ctx: RunContext, needDx: boolean[], gate?: ReluGate): (Tensor | null)[] {
    return [this.backward(dy, ctx, needDx[0], gate)];
  }

  /** Pre-softmax values of the last forward when this layer ends in a softmax, so a loss can use them (stable). */
  softmaxLogits(): Tensor | null {
    return null;
  }

  /** Backward from the gradient w.r.t. softmaxLogits() (skipping the softmax). */
  backwardFromLogits(_dz: Tensor, _ctx: RunContext, _needDx: boolean): Tensor | null {
    throw new Error(`${this.describe()} has no softmax logits`);
  }

  /** Whether this pass should fill the weight gradients: a frozen layer never does. */
  protected wantsWeightGrads(ctx: RunContext): boolean {
    return ctx.weightGrads && this.trainable;
  }

  /** The Keras config of this layer (model.json), without name/trainable/dtype (the model adds them). */
  abstract config(): LayerConfig;

  describe(): string {
    return this.name ? `${this.className} layer '${this.name}'` : `${this.className} layer`;
  }

  /** Error raised at build time, naming the layer and both shapes. */
  protected shapeError(expected: string, got: readonly number[], hint = ''): Error {
    return new Error(`${this.describe()}: expected input ${expected}, got ${fmtShape([null, ...got])}${hint ? `; ${hint}` : ''}`);
  }
}

/** A reusable output buffer: regrown when a larger batch arrives, otherwise a view of the first n rows. */
export class BatchBuffer {
  private store = new Float32Array(0);

  view(n: number, shape: readonly number[]): Tensor {
    let size = n;
    for (const d of shape) size *= d;
    if (this.store.length < size) this.store = new Float32Array(size);
    return new Tensor(this.store.subarray(0, size), [n, ...shape]);
  }
}

/** A per-channel buffer allocated once (batch statistics, the constant scale and shift of a BatchNormalization without them). */
export function scratchOf(holder: { buf?: Float32Array }, size: number): Float32Array {
  if (!holder.buf || holder.buf.length !== size) holder.buf = new Float32Array(size);
  return holder.buf;
}

export function pair(v: number | readonly number[], what: string, layer: string): [number, number] {
  const p = typeof v === 'number' ? [v, v] : [...v];
  if (p.length !== 2 || !p.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`${layer}: ${what} must be a positive integer or a pair of them, got ${JSON.stringify(v)}`);
  }
  return [p[0], p[1]];
}
