// Sequential: a stack of layers with one flat parameter buffer and one flat gradient buffer (each layer
// gets views), Keras's compile/fit/evaluate/predict surface, and a summary that returns data.

import { getBackend, type Backend } from './backend.js';
import { fitModel, type FitOptions, type History } from './fit.js';
import { initialize } from './initializers.js';
import { Dense } from './layers/dense.js';
import type { Layer, RunContext } from './layers/layer.js';
import { checkLabels, checkLoss, fillTargets, type LossName } from './losses.js';
import { Adam, SGD, type Optimizer } from './optimizers.js';
import { Random } from './random.js';
import { fmtShape, sizeOf, Tensor } from './tensor.js';

export interface CompileOptions {
  optimizer?: Optimizer | 'adam' | 'sgd';
  loss: LossName;
  metrics?: string[];
  /** Treat the last layer's output as logits (it must then have a linear activation). */
  fromLogits?: boolean;
  /** Run on this backend instead of the current default. */
  backend?: Backend;
}

export interface SummaryRow {
  name: string;
  className: string;
  outputShape: (number | null)[];
  params: number;
}

export interface WeightSpec {
  /** Keras weight name, e.g. 'conv2d/kernel'. */
  name: string;
  shape: number[];
  /** Offset in floats into the flat parameter buffer. */
  offset: number;
}

export class Sequential {
  readonly className = 'Sequential';
  name: string;
  readonly layers: Layer[];
  readonly inputShape: number[];
  readonly outputShape: number[];
  /** All parameters, layer by layer, kernel then bias: also the byte order of the saved weights. */
  readonly params: Float32Array;
  readonly grads: Float32Array;
  readonly weightSpecs: WeightSpec[];
  readonly seed: number;
  backend: Backend;
  optimizer: Optimizer | null = null;
  loss: LossName | null = null;
  fromLogits = false;
  /** Set by a callback to end `fit` after the current epoch. */
  stopTraining = false;
  /** Stream for shuffles and dropout masks. */
  readonly rng: Random;
  private scratch = { x: new Float32Array(0), t: new Float32Array(0), p: new Float32Array(0), d: new Float32Array(0) };

  constructor(layers: Layer[], o: { seed?: number; name?: string } = {}) {
    if (layers.length === 0) throw new Error('sequential: a model needs at least one layer');
    this.layers = layers;
    this.name = o.name ?? 'sequential';
    this.seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
    const first = layers[0];
    if (!first.inputShape) {
      throw new Error(`sequential: the first layer (${first.className}) needs an inputShape, e.g. inputShape: [28, 28, 1]`);
    }
    this.inputShape = [...first.inputShape];
    assignNames(layers);
    let shape: number[] = this.inputShape;
    for (const layer of layers) shape = layer.build(shape);
    this.outputShape = shape;
    const { specs, total } = layoutWeights(layers);
    this.weightSpecs = specs;
    this.params = new Float32Array(total);
    this.grads = new Float32Array(total);
    bindViews(layers, this.params, this.grads);
    const initRng = new Random(this.seed);
    for (const layer of layers) {
      layer.paramSpecs().forEach((p, i) => initialize(layer.weights[i], p.init, p.fanIn, p.fanOut, initRng));
    }
    this.rng = new Random(this.seed ^ 0x5bd1e995);
    this.backend = getBackend();
  }

  compile(o: CompileOptions): void {
    this.loss = checkLoss(o.loss);
    this.optimizer = o.optimizer === undefined || o.optimizer === 'adam' ? new Adam() : o.optimizer === 'sgd' ? new SGD() : o.optimizer;
    for (const m of o.metrics ?? []) {
      if (m !== 'accuracy' && m !== 'acc') throw new Error(`compile: unknown metric '${m}'; 'accuracy' is supported`);
    }
    if (o.backend) this.backend = o.backend;
    const last = this.layers[this.layers.length - 1];
    this.fromLogits = o.fromLogits ?? false;
    const softmaxOut = last instanceof Dense && last.activation === 'softmax';
    if (this.fromLogits && softmaxOut) throw new Error('compile: fromLogits is set but the last layer already applies softmax');
    if (!this.fromLogits && !softmaxOut) {
      throw new Error(`compile: ${this.loss} needs the last layer to be a dense layer with activation 'softmax', or fromLogits: true`);
    }
  }

  private context(training: boolean): RunContext {
    return { backend: this.backend, training, rng: this.rng };
  }

  /** Runs the layers on a batch; the result is a view into the last layer's buffer (valid until the next call). */
  forward(x: Tensor, training: boolean): Tensor {
    const ctx = this.context(training);
    let out = x;
    for (const layer of this.layers) out = layer.forward(out, ctx);
    return out;
  }

  /** Logits of the last forward pass: the last dense layer's pre-softmax values, or its output. */
  private lastLogits(out: Tensor): Tensor {
    const last = this.layers[this.layers.length - 1];
    return last instanceof Dense && last.logits && !this.fromLogits ? last.logits : out;
  }

  /**
   * One optimizer step on one batch: forward, loss, backward, update. `targets` holds (n, classes) target
   * distributions. Returns the summed loss and the number of correct predictions.
   */
  trainBatch(x: Tensor, targets: Float32Array): { loss: number; correct: number } {
    const { loss, correct } = this.lossAndGradients(x, targets);
    this.optimizer!.apply(this.backend, this.params, this.grads);
    return { loss, correct };
  }

  /** Forward and backward on one batch, filling `grads` (no update). */
  lossAndGradients(x: Tensor, targets: Float32Array): { loss: number; correct: number } {
    this.requireCompiled('train');
    const n = x.shape[0];
    const classes = this.outputShape[0];
    const out = this.forward(x, true);
    const logits = this.lastLogits(out);
    const probs = this.scratchBuf('p', n * classes);
    const dlogits = new Tensor(this.scratchBuf('d', n * classes), [n, classes]);
    const loss = this.backend.softmaxCrossEntropy(logits.data, targets, probs, dlogits.data, n, classes);
    const correct = countCorrect(probs, targets, n, classes);
    const ctx = this.context(true);
    let dy: Tensor | null = dlogits;
    for (let i = this.layers.length - 1; i >= 0 && dy; i--) {
      const layer = this.layers[i];
      dy = i === this.layers.length - 1 && layer instanceof Dense && !this.fromLogits
        ? layer.backwardFromLogits(dy, ctx, i > 0)
        : layer.backward(dy, ctx, i > 0);
    }
    return { loss, correct };
  }

  /** One training step on a batch of inputs and labels (as passed to fit); returns the mean loss. */
  trainStep(x: Tensor, y: Tensor): number {
    this.requireCompiled('trainStep');
    this.checkInput('trainStep', x);
    const n = x.shape[0];
    const classes = this.outputShape[0];
    checkLabels('trainStep', this.loss!, y, n, classes);
    const t = this.scratchBuf('t', n * classes);
    fillTargets(this.loss!, y, identity(n), 0, n, classes, t);
    return this.trainBatch(x, t).loss / n;
  }

  fit(x: Tensor, y: Tensor, o: FitOptions = {}): Promise<History> {
    this.requireCompiled('fit');
    return fitModel(this, x, y, o);
  }

  /** Mean loss and accuracy over (x, y). */
  evaluate(x: Tensor, y: Tensor, o: { batchSize?: number } = {}): { loss: number; accuracy: number } {
    this.requireCompiled('evaluate');
    this.checkInput('evaluate', x);
    const n = x.shape[0];
    const classes = this.outputShape[0];
    checkLabels('evaluate', this.loss!, y, n, classes);
    return this.measure(x, y, o.batchSize ?? 256);
  }

  /** evaluate's loop, for inputs and labels already checked (fit checks its validation data once). */
  measure(x: Tensor, y: Tensor, bs: number): { loss: number; accuracy: number } {
    const n = x.shape[0];
    const classes = this.outputShape[0];
    const idx = identity(n);
    let loss = 0;
    let correct = 0;
    for (let s = 0; s < n; s += bs) {
      const e = Math.min(n, s + bs);
      const t = this.scratchBuf('t', (e - s) * classes);
      fillTargets(this.loss!, y, idx, s, e, classes, t);
      const out = this.forward(x.slice0(s, e), false);
      const probs = this.scratchBuf('p', (e - s) * classes);
      loss += this.backend.softmaxCrossEntropy(this.lastLogits(out).data, t, probs, null, e - s, classes);
      correct += countCorrect(probs, t, e - s, classes);
    }
    return { loss: loss / n, accuracy: correct / n };
  }

  /** Class probabilities (n, classes): a new Tensor that the caller owns. */
  predict(x: Tensor, o: { batchSize?: number } = {}): Tensor {
    this.checkInput('predict', x);
    const n = x.shape[0];
    const classes = this.outputShape[0];
    const result = new Float32Array(n * classes);
    const bs = o.batchSize ?? 256;
    for (let s = 0; s < n; s += bs) {
      const e = Math.min(n, s + bs);
      result.set(this.forward(x.slice0(s, e), false).data, s * classes);
    }
    return new Tensor(result, [n, ...this.outputShape]);
  }

  /** Checks a batch against the model's input shape and for NaN/Infinity, naming the op. */
  checkInput(op: string, x: Tensor): void {
    const want = [null, ...this.inputShape];
    if (x.rank !== want.length || x.shape.slice(1).some((d, i) => d !== this.inputShape[i])) {
      throw new Error(`${op}: model '${this.name}' expects input of shape ${fmtShape(want)}, got ${fmtShape(x.shape)}`);
    }
    if (x.shape[0] === 0) throw new Error(`${op}: the input holds no examples`);
    const d = x.data;
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i])) {
        const per = d.length / x.shape[0];
        throw new Error(`${op}: input example ${Math.floor(i / per)} holds ${d[i]} at position ${i % per}; inputs must be finite numbers`);
      }
    }
  }

  /** A copy of the flat parameter buffer. */
  getWeights(): Float32Array {
    return this.params.slice();
  }

  setWeights(w: Float32Array): void {
    if (w.length !== this.params.length) {
      throw new Error(`setWeights: model '${this.name}' has ${this.params.length} parameters, got ${w.length} values`);
    }
    this.params.set(w);
  }

  /** Per-layer output shapes and parameter counts; `print` (default console.log) gets Keras's table. */
  summary(print: ((line: string) => void) | null = console.log): { rows: SummaryRow[]; totalParams: number } {
    const rows = this.layers.map((l) => ({
      name: l.name,
      className: l.className,
      outputShape: [null, ...l.outputShape],
      params: l.paramSpecs().reduce((s, p) => s + sizeOf(p.shape), 0),
    }));
    const totalParams = this.params.length;
    if (print) for (const line of summaryTable(this.name, rows, totalParams)) print(line);
    return { rows, totalParams };
  }

  private requireCompiled(op: string): void {
    if (!this.optimizer || !this.loss) throw new Error(`${op}: call compile({ optimizer, loss }) on model '${this.name}' first`);
  }

  /** Grow-only scratch for inputs, targets, probabilities and logit gradients. */
  scratchBuf(key: 'x' | 't' | 'p' | 'd', size: number): Float32Array {
    if (this.scratch[key].length < size) this.scratch[key] = new Float32Array(size);
    return this.scratch[key].subarray(0, size);
  }
}

export function sequential(layers: Layer[], o: { seed?: number; name?: string } = {}): Sequential {
  return new Sequential(layers, o);
}

function assignNames(layers: Layer[]): void {
  const used = new Set(layers.map((l) => l.name).filter(Boolean));
  const counts = new Map<string, number>();
  for (const l of layers) {
    if (l.name) continue;
    const base = l.className.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase(); // Conv2D → conv2d, MaxPooling2D → max_pooling2d
    let k = counts.get(base) ?? 0;
    let name: string;
    do name = k === 0 ? base : `${base}_${k}`, k++;
    while (used.has(name));
    counts.set(base, k);
    used.add(name);
    l.name = name;
  }
  if (used.size !== layers.length) throw new Error('sequential: two layers share a name; layer names must be unique');
}

function layoutWeights(layers: Layer[]): { specs: WeightSpec[]; total: number } {
  const specs: WeightSpec[] = [];
  let offset = 0;
  for (const l of layers) {
    for (const p of l.paramSpecs()) {
      specs.push({ name: `${l.name}/${p.name}`, shape: p.shape, offset });
      offset += sizeOf(p.shape);
    }
  }
  return { specs, total: offset };
}

function bindViews(layers: Layer[], params: Float32Array, grads: Float32Array): void {
  let offset = 0;
  for (const l of layers) {
    l.weights = [];
    l.grads = [];
    for (const p of l.paramSpecs()) {
      const size = sizeOf(p.shape);
      l.weights.push(params.subarray(offset, offset + size));
      l.grads.push(grads.subarray(offset, offset + size));
      offset += size;
    }
  }
}

function countCorrect(probs: Float32Array, targets: Float32Array, n: number, classes: number): number {
  let correct = 0;
  for (let r = 0; r < n; r++) {
    let p = 0;
    let t = 0;
    for (let j = 1; j < classes; j++) {
      if (probs[r * classes + j] > probs[r * classes + p]) p = j;
      if (targets[r * classes + j] > targets[r * classes + t]) t = j;
    }
    if (p === t) correct++;
  }
  return correct;
}

export function identity(n: number): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  return idx;
}

function summaryTable(name: string, rows: SummaryRow[], total: number): string[] {
  const cells = rows.map((r) => [`${r.name} (${r.className})`, fmtShape(r.outputShape), r.params.toLocaleString('en-US')]);
  const head = ['Layer (type)', 'Output Shape', 'Param #'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)) + 4);
  const line = (c: string[]): string => c.map((s, i) => s.padEnd(widths[i])).join('').trimEnd();
  const rule = (ch: string): string => ch.repeat(widths.reduce((a, b) => a + b, 0));
  return [
    `Model: "${name}"`,
    rule('_'),
    line(head),
    rule('='),
    ...cells.flatMap((c, i) => [line(c), i < cells.length - 1 ? rule('_') : rule('=')]),
    `Total params: ${total.toLocaleString('en-US')}`,
    `Trainable params: ${total.toLocaleString('en-US')}`,
    'Non-trainable params: 0',
    rule('_'),
  ];
}
