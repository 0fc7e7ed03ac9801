// An ensemble as one graph model: the members side by side on one input, each layer rebuilt from its config
// under a name prefixed by its member (m1_conv2d, m2_conv2d, ...) so names stay unique, an Average layer on
// their softmax outputs, and each member's weights copied in. It is an ordinary functional model: it saves
// as TensorFlow.js files and evaluates, predicts and serves like any other. Browser-safe.

import '../engine/layers/index.js';
import { input } from '../engine/layers/input-layer.js';
import type { Layer } from '../engine/layers/layer.js';
import { Average } from '../engine/layers/merge.js';
import { layerFactory } from '../engine/layers/registry.js';
import { Model } from '../engine/graph/model.js';
import type { SymbolicTensor } from '../engine/graph/symbolic.js';
import { fmtShape, sizeOf } from '../engine/tensor.js';

export interface EnsembleMember {
  model: Model;
  /** What the member is called in errors (its run folder). */
  source: string;
}

/** The layer name prefix of member k (0-based). */
export function memberPrefix(k: number): string {
  return `m${k + 1}_`;
}

/** Checks that the members can be averaged: the same input shape and class count, each ending in a softmax. */
function checkMembers(members: EnsembleMember[]): void {
  if (members.length < 2) throw new Error(`ensemble: needs at least 2 members, got ${members.length}`);
  const [first] = members;
  for (const m of members) {
    if (m.model.inputShape.join() !== first.model.inputShape.join()) {
      throw new Error(`ensemble: ${m.source} takes input ${fmtShape([null, ...m.model.inputShape])} but ${first.source} takes ${fmtShape([null, ...first.model.inputShape])}; members must take the same images`);
    }
    if (m.model.outputShape.join() !== first.model.outputShape.join()) {
      throw new Error(`ensemble: ${m.source} has ${m.model.outputShape.join('x')} classes but ${first.source} has ${first.model.outputShape.join('x')}; members must have the same classes`);
    }
    if (!m.model.endsInSoftmax()) {
      throw new Error(`ensemble: ${m.source} does not end in a softmax (its last layer applies '${String(m.model.outputLayer.config().activation ?? 'no activation')}'); an ensemble averages probabilities`);
    }
  }
}

/** Rebuilds member k's layers on `x`, renamed; returns its output and the new layer of each old one. */
function rebuild(member: Model, k: number, x: SymbolicTensor): { out: SymbolicTensor; twins: Map<Layer, Layer> } {
  const twins = new Map<Layer, Layer>();
  const tensors = new Map<SymbolicTensor, SymbolicTensor>();
  const inputLayer = member.layers.find((l) => l.className === 'InputLayer') ?? (member.layers[0].output!.inputs[0].producer as Layer);
  tensors.set(inputLayer.output!, x);
  for (const l of member.layers) {
    if (l.className === 'InputLayer') continue;
    const make = layerFactory(l.className);
    if (!make) throw new Error(`ensemble: layer class ${l.className} of member ${k + 1} cannot be rebuilt`);
    const twin = make({ ...l.config(), name: memberPrefix(k) + l.name, trainable: l.trainable }, `member ${k + 1}, layer '${l.name}'`);
    twin.name = memberPrefix(k) + l.name;
    twin.trainable = l.trainable;
    const ins = l.output!.inputs.map((t) => {
      const mapped = tensors.get(t);
      if (!mapped) throw new Error(`ensemble: member ${k + 1}'s layer '${l.name}' reads a tensor not yet built`);
      return mapped;
    });
    tensors.set(l.output!, twin.apply(ins.length === 1 ? ins[0] : ins));
    twins.set(l, twin);
  }
  return { out: tensors.get(member.outputLayer.output!)!, twins };
}

/** One model averaging the members' probabilities, with their weights. */
export function buildEnsemble(members: EnsembleMember[], o: { name?: string } = {}): Model {
  checkMembers(members);
  const x = input({ shape: members[0].model.inputShape, name: 'input' });
  const built = members.map((m, k) => rebuild(m.model, k, x));
  const avg = new Average({ name: 'average' }).apply(built.map((b) => b.out));
  const ensemble = new Model({ inputs: x, outputs: avg, name: o.name ?? 'ensemble', seed: 0 });
  const offsets = new Map(ensemble.weightSpecs.map((s) => [s.name, s]));
  members.forEach((m, k) => {
    for (const s of m.model.weightSpecs) {
      const target = offsets.get(memberPrefix(k) + s.name);
      if (!target || sizeOf(target.shape) !== sizeOf(s.shape)) throw new Error(`ensemble: member ${k + 1}'s weight '${s.name}' has no place in the ensemble`);
      ensemble.params.set(m.model.params.subarray(s.offset, s.offset + sizeOf(s.shape)), target.offset);
    }
  });
  return ensemble;
}
