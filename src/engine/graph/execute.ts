// Running a plan: the forward pass in topological order and the backward pass in reverse, with gradients
// summed where a tensor fans out to several layers. Layers own their output and input-gradient buffers, so
// nothing is allocated per batch; a gradient buffer handed to a layer is that layer's to overwrite.
// A ReLU layer that alone reads a layer able to apply it (BatchNormalization, Add) runs inside that layer:
// one pass over the activations instead of two, with the same results bit for bit. A pass that must see the
// tensor between the two (a layer's output asked for by name) names it in `keep`; the forward and backward
// of one step must be given the same `keep`. In the backward, a MaxPooling2D that alone reads a layer ending
// in a ReLU (Conv2D with activation 'relu', a ReLU layer) gates the gradient for it on its own output, a
// quarter of the size for 2x2 windows, and that layer skips its pass over the activations. In the forward,
// a Conv2D that a MaxPooling2D alone reads pools its own output (Layer.poolsOutput): the convolution's output
// is never written out and read back; where it ends in a ReLU, only when the pooling also gates its
// gradient (its backward would otherwise read that output). Where such a convolution wants no input
// gradient (a first layer), its weight gradients come from the pooling's gradient and argmax directly
// (Layer.backwardPooled), without the gradient at its own output.

import type { ReluGate, RunContext } from '../layers/layer.js';
import type { Tensor } from '../tensor.js';
import type { Plan } from './plan.js';

/**
 * Per node: 'fuses' (runs the ReLU after it), 'fused' (a ReLU run by the node before it), 'gates' / 'gated'
 * (a backward-only pair: see ReluGate), or null.
 */
type Fusion = 'fuses' | 'fused' | ReluGate | null;

/** Which nodes fuse in a pass: every pair of the plan whose middle tensor is not in keep (none when !fuse). */
function fusions(plan: Plan, keep: ReadonlySet<number>, fuse: boolean): Fusion[] {
  const f = new Array<Fusion>(plan.nodes.length).fill(null);
  if (!fuse) return f;
  for (const p of plan.reluPairs) {
    if (keep.has(p.tensor)) continue;
    f[p.producer] = 'fuses';
    f[p.relu] = 'fused';
  }
  // A ReLU layer run inside the layer before it gates in that layer's backward: not one that ends a pair.
  for (const p of plan.gatePairs) {
    if (keep.has(p.tensor) || f[p.producer] !== null || f[p.gate] !== null) continue;
    f[p.producer] = 'gated';
    f[p.gate] = 'gates';
  }
  return f;
}

/** Producer node → the max-pooling node it runs in its own forward, for the plan's pool pairs that fuse in a pass. */
function poolFusions(plan: Plan, keep: ReadonlySet<number>, fuse: boolean, f: Fusion[]): Map<number, number> {
  const pools = new Map<number, number>();
  if (!fuse) return pools;
  for (const p of plan.poolPairs) {
    const relu = plan.nodes[p.producer].layer.reluGate === 'ends';
    if (keep.has(p.tensor) || (relu && f[p.producer] !== 'gated') || (!relu && f[p.producer] !== null)) continue;
    pools.set(p.producer, p.pool);
  }
  return pools;
}

/** A node's part in a backward-only ReLU pair, for its backwardAll. */
function gateOf(f: Fusion): ReluGate | undefined {
  return f === 'gates' || f === 'gated' ? f : undefined;
}

export interface PassOptions {
  /** Tensors the caller reads or observes, which must hold their own values (not fused away). */
  keep?: ReadonlySet<number>;
  /** False: every layer runs on its own (for checking the fused passes against). Default true. */
  fuse?: boolean;
}

/** Runs every node on x; returns each tensor's value (views into the layers' buffers, valid until the next pass). */
export function forwardPass(plan: Plan, x: Tensor, ctx: RunContext, p: PassOptions = {}): Tensor[] {
  const keep = p.keep ?? new Set(), fuse = p.fuse ?? true;
  const f = fusions(plan, keep, fuse);
  const pools = poolFusions(plan, keep, fuse, f);
  const pooled = new Set(pools.values());
  const values = new Array<Tensor>(plan.tensors);
  values[0] = x;
  plan.nodes.forEach((node, k) => {
    const pool = pools.get(k);
    // A fused ReLU's output is its producer's: that layer has already applied it. A pooling run by its
    // producer has its output already; the producer's own output (read by nothing else) has no value.
    if (f[k] === 'fused') values[node.output] = values[node.inputs[0]];
    else if (pool !== undefined) {
      const p = plan.nodes[pool];
      values[p.output] = node.layer.forwardPooled(values[node.inputs[0]], ctx, p.layer.poolTarget(x.shape[0]));
    } else if (!pooled.has(k)) values[node.output] = node.layer.forwardAll(node.inputs.map((i) => values[i]), ctx, f[k] === 'fuses');
  });
  return values;
}

/**
 * Which tensors need a gradient in this pass: those downstream of a layer that wants weight gradients, of the
 * input (when its gradient is asked for), or of a tensor in `alsoWanted`. Layers upstream of every trainable
 * layer (a frozen base) then run no backward at all.
 */
export function gradientNeeds(plan: Plan, weightGrads: boolean, wantInput: boolean, alsoWanted: ReadonlySet<number> = new Set()): boolean[] {
  const need = new Array<boolean>(plan.tensors).fill(false);
  need[0] = wantInput;
  for (const node of plan.nodes) {
    const own = weightGrads && node.layer.trainable && node.hasTrainableParams;
    need[node.output] = own || alsoWanted.has(node.output) || node.inputs.some((i) => need[i]);
  }
  return need;
}

export interface BackwardOptions extends PassOptions {
  /** Start from the gradient w.r.t. the output layer's softmax logits rather than its output. */
  fromLogits: boolean;
  need: boolean[];
  /** Called with each tensor's complete gradient just before its producer consumes it (for Grad-CAM). */
  onGradient?: (tensor: number, grad: Tensor) => void;
}

/** Back-propagates dOut from the output; returns the gradient w.r.t. the input when need[0], else null. */
export function backwardPass(plan: Plan, dOut: Tensor, ctx: RunContext, o: BackwardOptions): Tensor | null {
  const keep = o.keep ?? new Set(), fuse = o.fuse ?? true;
  const f = fusions(plan, keep, fuse);
  // Pooling node → its producer, for the pairs whose producer needs no input gradient.
  const pooledBack = new Map<number, number>();
  for (const [producer, pool] of poolFusions(plan, keep, fuse, f)) {
    const p = plan.nodes[producer];
    if (!o.need[p.inputs[0]] && o.need[p.output]) pooledBack.set(pool, producer);
  }
  const grads = new Array<Tensor | null>(plan.tensors).fill(null);
  const last = plan.nodes.length - 1;
  grads[plan.nodes[last].output] = dOut;
  for (let k = last; k >= 0; k--) {
    const node = plan.nodes[k];
    const dy = grads[node.output];
    if (!dy || !o.need[node.output]) continue;
    o.onGradient?.(node.output, dy);
    const producer = pooledBack.get(k);
    if (producer !== undefined) {
      // The producer's output gradient is never formed, so its node finds none and runs no backward.
      plan.nodes[producer].layer.backwardPooled(node.layer.gateGradient(dy, ctx, gateOf(f[k])), ctx, node.layer.poolTarget(dy.shape[0]));
      continue;
    }
    if (f[k] === 'fused') {
      // The producer's backward takes the gradient at the ReLU's output (its input is read by nothing else).
      grads[node.inputs[0]] = dy;
      continue;
    }
    const needDx = node.inputs.map((i) => o.need[i]);
    const dxs = k === last && o.fromLogits ? [node.layer.backwardFromLogits(dy, ctx, needDx[0])] : node.layer.backwardAll(dy, ctx, needDx, gateOf(f[k]));
    node.inputs.forEach((i, j) => {
      const dx = dxs[j];
      if (!dx || !needDx[j]) return;
      // The first contribution is taken as it is; later ones are added into it (its owner is done with it).
      const have = grads[i];
      if (!have) grads[i] = dx;
      else ctx.backend.axpy(1, dx.data, have.data);
    });
  }
  if (o.need[0] && grads[0]) o.onGradient?.(0, grads[0]);
  return o.need[0] ? grads[0] : null;
}
