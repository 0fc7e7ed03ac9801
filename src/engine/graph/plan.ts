// A model's graph as an execution plan: the layers in topological order, each with the ids of the tensors it
// reads and writes (tensor 0 is the model's input). Traced back from the output, so a layer that does not
// reach the output is not part of the model, and an input the output does not depend on is an error.

import type { Layer } from '../layers/layer.js';
import type { SymbolicTensor } from './symbolic.js';

export interface PlanNode {
  layer: Layer;
  inputs: number[];
  output: number;
  /** Whether the layer declares trainable parameters (known once the layer is built). */
  hasTrainableParams: boolean;
}

export interface Plan {
  /** Every layer but the input, in an order where each runs after the layers it reads. */
  nodes: PlanNode[];
  /** The input layer (tensor 0's producer). */
  inputLayer: Layer;
  /** Number of tensors (node outputs + the input). */
  tensors: number;
  /**
   * ReLU layers that the layer before them can run in its own pass (see Layer.fusesRelu): node indices of
   * the producer and the ReLU, and the tensor between them, which nothing else reads.
   */
  reluPairs: ReluPair[];
  /**
   * Layers that gate their output gradient for the ReLU ending the layer before them (see Layer.reluGate):
   * the producer, the gating layer, and the tensor between them, which nothing else reads.
   */
  gatePairs: GatePair[];
  /**
   * Max poolings that the layer before them can run in its own forward pass (see Layer.poolsOutput): the
   * producer, the pooling, and the tensor between them, which nothing else reads.
   */
  poolPairs: PoolPair[];
}

export interface PoolPair {
  producer: number;
  pool: number;
  tensor: number;
}

export interface GatePair {
  producer: number;
  gate: number;
  tensor: number;
}

export interface ReluPair {
  producer: number;
  relu: number;
  tensor: number;
}

/** Traces output back to input; throws when the output depends on another input, or does not reach this one. */
export function planGraph(input: SymbolicTensor, output: SymbolicTensor, op: string): Plan {
  const ids = new Map<SymbolicTensor, number>([[input, 0]]);
  const nodes: PlanNode[] = [];
  const visiting = new Set<SymbolicTensor>();
  const visit = (t: SymbolicTensor): number => {
    const known = ids.get(t);
    if (known !== undefined) return known;
    if (t.inputs.length === 0) {
      throw new Error(`${op}: the output depends on ${t.producer.className} '${t.producer.name}', which is not the model's input; a model has one input`);
    }
    if (visiting.has(t)) throw new Error(`${op}: the graph has a cycle through ${t.producer.className} '${t.producer.name}'`);
    visiting.add(t);
    const inputs = t.inputs.map(visit);
    visiting.delete(t);
    const id = ids.size;
    ids.set(t, id);
    const layer = t.producer as Layer;
    nodes.push({ layer, inputs, output: id, hasTrainableParams: layer.paramSpecs().some((p) => p.trainable) });
    return id;
  };
  visit(output);
  if (output === input) throw new Error(`${op}: the output is the input itself; a model needs at least one layer`);
  if (!nodes.some((n) => n.inputs.includes(0))) {
    throw new Error(`${op}: input '${input.producer.name}' is not connected to the output`);
  }
  const plan = { nodes, inputLayer: input.producer as Layer, tensors: ids.size, reluPairs: [], gatePairs: [], poolPairs: [] };
  return { ...plan, reluPairs: reluPairs(plan), gatePairs: gatePairs(plan), poolPairs: poolPairs(plan) };
}

/**
 * Pairs of a layer and the one after it whose tensor between them nothing else reads, where `fits` holds:
 * [producer, reader, tensor] by node and tensor index.
 */
function loneReaderPairs(plan: Plan, fits: (producer: Layer, reader: Layer) => boolean): [number, number, number][] {
  const counts = consumerCounts(plan);
  const producerOf = new Map(plan.nodes.map((n, k) => [n.output, k]));
  const pairs: [number, number, number][] = [];
  plan.nodes.forEach((n, reader) => {
    const tensor = n.inputs[0];
    const producer = producerOf.get(tensor);
    if (producer !== undefined && counts[tensor] === 1 && fits(plan.nodes[producer].layer, n.layer)) pairs.push([producer, reader, tensor]);
  });
  return pairs;
}

/** The ReLU layers whose input is read by nothing else and comes from a layer that can apply the ReLU itself. */
function reluPairs(plan: Plan): ReluPair[] {
  return loneReaderPairs(plan, (p, r) => r.isRelu && p.fusesRelu).map(([producer, relu, tensor]) => ({ producer, relu, tensor }));
}

/** The layers that can gate the gradient for a ReLU-ending layer whose output only they read. */
function gatePairs(plan: Plan): GatePair[] {
  return loneReaderPairs(plan, (p, r) => r.reluGate === 'gates' && p.reluGate === 'ends').map(([producer, gate, tensor]) => ({ producer, gate, tensor }));
}

/** The max poolings whose input is read by nothing else and comes from a layer that can pool its own output. */
function poolPairs(plan: Plan): PoolPair[] {
  return loneReaderPairs(plan, (p, r) => r.isMaxPool && p.poolsOutput).map(([producer, pool, tensor]) => ({ producer, pool, tensor }));
}

/** How many layers read each tensor (the output counts once more: the loss reads it). */
export function consumerCounts(plan: Plan): number[] {
  const counts = new Array<number>(plan.tensors).fill(0);
  for (const n of plan.nodes) for (const i of n.inputs) counts[i]++;
  counts[plan.nodes[plan.nodes.length - 1].output]++;
  return counts;
}

/** Names unnamed layers Keras's way (conv2d, conv2d_1, ...), unique within the model; throws on duplicates. */
export function assignNames(layers: Layer[], modelName: string): void {
  const named = layers.map((l) => l.name).filter(Boolean);
  const dup = named.find((n, i) => named.indexOf(n) !== i);
  if (dup) throw new Error(`model '${modelName}': two layers are named '${dup}'; layer names must be unique`);
  const used = new Set(named);
  const counts = new Map<string, number>();
  for (const l of layers) {
    if (l.name) continue;
    const base = l.className === 'InputLayer' ? 'input' : l.className.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
    let k = counts.get(base) ?? 0;
    let name: string;
    do name = k === 0 ? base : `${base}_${k}`, k++;
    while (used.has(name));
    counts.set(base, k);
    used.add(name);
    l.name = name;
  }
}
