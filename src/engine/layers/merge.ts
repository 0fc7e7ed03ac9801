// Layers of several inputs: Add (residual connections), Average (ensembles) and Concatenate (along the last
// axis). Shapes are checked when the layer is applied, naming the layers whose outputs disagree.

import { fmtShape, type Tensor } from '../tensor.js';
import { commonOptions } from './config.js';
import { BatchBuffer, Layer, type LayerConfig, type RunContext } from './layer.js';
import { registerLayer } from './registry.js';
import type { SymbolicTensor } from '../graph/symbolic.js';

abstract class Merge extends Layer {
  protected readonly y = new BatchBuffer();
  /** Producers of the inputs, for error messages. */
  private sources: string[] = [];

  constructor(o: { name?: string } = {}) {
    super(o.name, undefined);
  }

  override apply(inputs: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
    const xs = Array.isArray(inputs) ? inputs : [inputs];
    this.sources = xs.map((x) => (x.producer.name ? `${x.producer.className} '${x.producer.name}'` : x.producer.className));
    return super.apply(xs);
  }

  override build(inputShapes: readonly (readonly number[])[]): number[] {
    if (inputShapes.length < 2) throw new Error(`${this.describe()}: needs at least 2 inputs, got ${inputShapes.length}`);
    this.inputShapes = inputShapes.map((s) => [...s]);
    this.inputShape = [...inputShapes[0]];
    this.outputShape = this.mergedShape(inputShapes);
    return this.outputShape;
  }

  protected abstract mergedShape(shapes: readonly (readonly number[])[]): number[];

  protected computeOutputShape(s: readonly number[]): number[] {
    return [...s];
  }

  protected mismatch(shapes: readonly (readonly number[])[], rule: string): Error {
    const names = this.sources.length === shapes.length ? this.sources : shapes.map((_, i) => `input ${i}`);
    const list = shapes.map((s, i) => `${names[i]} ${fmtShape([null, ...s])}`).join(' and ');
    return new Error(`${this.describe()}: ${rule}, got ${list}`);
  }

  forward(x: Tensor, ctx: RunContext): Tensor {
    return this.forwardAll([x], ctx);
  }

  backward(dy: Tensor, ctx: RunContext, needDx: boolean): Tensor | null {
    return this.backwardAll(dy, ctx, [needDx])[0];
  }

  config(): LayerConfig {
    return {};
  }
}

/** Element-wise sum (Add) or mean (Average) of inputs of one shape. */
abstract class Elementwise extends Merge {
  private readonly dxs: BatchBuffer[] = [];
  /** The output of the last forward when it applied a ReLU: the backward gates dy by it, as the ReLU would have. */
  private reluOut: Tensor | null = null;
  protected abstract readonly scale: (count: number) => number;

  protected mergedShape(shapes: readonly (readonly number[])[]): number[] {
    const first = shapes[0];
    if (shapes.some((s) => s.length !== first.length || s.some((d, i) => d !== first[i]))) throw this.mismatch(shapes, 'inputs must have the same shape');
    return [...first];
  }

  /** relu (Add only, see Layer.fusesRelu): the last add also applies the ReLU that follows the layer. */
  override forwardAll(xs: Tensor[], ctx: RunContext, relu = false): Tensor {
    if (relu && !this.fusesRelu) throw new Error(`${this.describe()} cannot apply a fused ReLU`);
    const y = this.y.view(xs[0].shape[0], this.outputShape);
    const last = xs.length - 1;
    ctx.backend.add(xs[0].data, xs[1].data, y.data, relu && last === 1);
    for (let i = 2; i < xs.length; i++) ctx.backend.add(y.data, xs[i].data, y.data, relu && i === last);
    const k = this.scale(xs.length);
    if (k !== 1) scaleInPlace(ctx, y.data, k);
    this.reluOut = relu ? y : null;
    return y;
  }

  /**
   * Every input gets dy (times the scale); the first takes dy itself, the others a copy each (layers own their
   * dy). After a fused ReLU the ReLU's backward kernel writes the copies, gating as it copies (on the backend's
   * threads: a copy, then a gating pass, would be two passes), and then gates dy itself.
   */
  override backwardAll(dy: Tensor, ctx: RunContext, needDx: boolean[]): (Tensor | null)[] {
    const k = this.scale(needDx.length);
    if (k !== 1) scaleInPlace(ctx, dy.data, k);
    const y = this.reluOut;
    const dxs = needDx.map((need, i) => {
      if (!need || i === 0) return null;
      const buf = (this.dxs[i] ??= new BatchBuffer()).view(dy.shape[0], this.outputShape);
      if (y) ctx.backend.activationBackward('relu', y.data, dy.data, buf.data, 0);
      else buf.data.set(dy.data);
      return buf;
    });
    if (y && needDx[0]) ctx.backend.activationBackward('relu', y.data, dy.data, dy.data, 0);
    dxs[0] = needDx[0] ? dy : null;
    return dxs;
  }
}

/** a ← k·a, as a += (k − 1)·a (no scaling kernel needed for the one layer that scales). */
function scaleInPlace(ctx: RunContext, a: Float32Array, k: number): void {
  ctx.backend.axpy(k - 1, a, a);
}

export class Add extends Elementwise {
  readonly className = 'Add';
  protected readonly scale = (): number => 1;

  override get fusesRelu(): boolean {
    return true;
  }
}

export class Average extends Elementwise {
  readonly className = 'Average';
  protected readonly scale = (count: number): number => 1 / count;
}

/** Concatenation along the last axis; the other axes must agree. */
export class Concatenate extends Merge {
  readonly className = 'Concatenate';
  private readonly dxs: BatchBuffer[] = [];

  protected mergedShape(shapes: readonly (readonly number[])[]): number[] {
    const first = shapes[0];
    const lead = (s: readonly number[]): string => s.slice(0, -1).join(',');
    if (shapes.some((s) => s.length !== first.length || lead(s) !== lead(first))) {
      throw this.mismatch(shapes, 'inputs must agree on every axis but the last');
    }
    return [...first.slice(0, -1), shapes.reduce((sum, s) => sum + s[s.length - 1], 0)];
  }

  private widths(): number[] {
    return this.inputShapes.map((s) => s[s.length - 1]);
  }

  override forwardAll(xs: Tensor[], ctx: RunContext): Tensor {
    const y = this.y.view(xs[0].shape[0], this.outputShape);
    const total = this.outputShape[this.outputShape.length - 1];
    const rows = y.size / total;
    let offset = 0;
    this.widths().forEach((w, i) => {
      ctx.backend.copyColumns(xs[i].data, w, 0, y.data, total, offset, rows, w);
      offset += w;
    });
    return y;
  }

  override backwardAll(dy: Tensor, ctx: RunContext, needDx: boolean[]): (Tensor | null)[] {
    const total = this.outputShape[this.outputShape.length - 1];
    const rows = dy.size / total;
    let offset = 0;
    return this.widths().map((w, i) => {
      const at = offset;
      offset += w;
      if (!needDx[i]) return null;
      const dx = (this.dxs[i] ??= new BatchBuffer()).view(dy.shape[0], this.inputShapes[i]);
      ctx.backend.copyColumns(dy.data, total, at, dx.data, w, 0, rows, w);
      return dx;
    });
  }

  override config(): LayerConfig {
    return { axis: -1 };
  }

  static fromConfig(c: LayerConfig, at: string): Concatenate {
    const axis = (c.axis as number | undefined) ?? -1;
    const layer = new Concatenate(commonOptions(c));
    layer.declaredAxis = axis;
    if (axis === 0) throw new Error(`${at}: concatenation along the batch axis is not supported`);
    return layer;
  }

  private declaredAxis = -1;

  override build(inputShapes: readonly (readonly number[])[]): number[] {
    const out = super.build(inputShapes);
    if (this.declaredAxis !== -1 && this.declaredAxis !== inputShapes[0].length) {
      throw new Error(`${this.describe()}: axis ${this.declaredAxis} is not the last axis; only the last axis is supported`);
    }
    return out;
  }
}

registerLayer('Add', (c) => new Add(commonOptions(c)));
registerLayer('Average', (c) => new Average(commonOptions(c)));
registerLayer('Concatenate', Concatenate.fromConfig);
