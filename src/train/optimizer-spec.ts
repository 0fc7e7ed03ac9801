// `digitnet train --optimizer NAME[,key=value...]`: the run's optimizer, with Keras's names and defaults:
// adam (the default), adamw, sgd and rmsprop; `--lr` (and `--schedule`) give its learning rate. Weight decay
// is decoupled, as Keras 3's (each step p -= p·weight_decay·lr): the ResNet papers' coupled 5e-4, which
// momentum 0.9 carries on for about ten steps, decays about as much as `sgd,momentum=0.9,weight_decay=5e-3`
// (the README's resnet20 recipe). Browser-safe.

import { Adam, AdamW, RMSprop, SGD, type LearningRateSchedule, type Optimizer } from '../engine/optimizers/index.js';
import { formatNamedSpec, parseNamedSpec, type NamedSpec, type Param, type SpecTable } from './named-spec.js';

const beta1: Param = { min: 0, max: 0.9999, default: 0.9, help: "decay of the gradient's moving mean" };
const beta2: Param = { min: 0, max: 0.99999, default: 0.999, help: "decay of the squared gradient's moving mean" };
const epsilon: Param = { min: 1e-12, max: 1, default: 1e-7, help: 'added to the denominator' };
const momentum: Param = { min: 0, max: 0.999, default: 0, help: 'velocity kept per step' };

/** Each optimizer's parameters, with ranges and Keras's defaults. */
export const OPTIMIZERS: SpecTable = {
  adam: { help: 'Adam (Kingma & Ba)', params: { beta1, beta2, epsilon } },
  adamw: { help: 'Adam with decoupled weight decay (Loshchilov & Hutter)', params: { beta1, beta2, epsilon, weight_decay: { min: 0, max: 1, default: 0.004, help: 'decay per unit of learning rate' } } },
  sgd: {
    help: 'stochastic gradient descent, with momentum',
    params: { momentum, nesterov: { min: 0, max: 1, default: 0, help: '1: Nesterov momentum', integer: true }, weight_decay: { min: 0, max: 1, default: 0, help: 'decay per unit of learning rate' } },
  },
  rmsprop: { help: 'RMSprop (Hinton)', params: { rho: { min: 0, max: 0.9999, default: 0.9, help: "decay of the squared gradient's moving mean" }, momentum, epsilon } },
};

export type OptimizerSpec = NamedSpec;

/** Parses `--optimizer`'s value; an unknown name or parameter, or a value out of range, is a one-line error. */
export function parseOptimizer(text: string, option = '--optimizer'): OptimizerSpec {
  return parseNamedSpec(text, OPTIMIZERS, option, 'optimizer');
}

/** The spec as --optimizer writes it: the name and the parameters that differ from Keras's defaults. */
export function formatOptimizer(s: OptimizerSpec): string {
  return formatNamedSpec(s, OPTIMIZERS);
}

/** The optimizer object of a spec, stepping at `learningRate` (a number or a schedule). */
export function buildOptimizer(s: OptimizerSpec, learningRate: number | LearningRateSchedule): Optimizer {
  const p = s.params;
  switch (s.name) {
    case 'adamw':
      return new AdamW({ learningRate, beta1: p.beta1, beta2: p.beta2, epsilon: p.epsilon, weightDecay: p.weight_decay });
    case 'sgd':
      return new SGD({ learningRate, momentum: p.momentum, nesterov: p.nesterov === 1, weightDecay: p.weight_decay });
    case 'rmsprop':
      return new RMSprop({ learningRate, rho: p.rho, momentum: p.momentum, epsilon: p.epsilon });
    default:
      return new Adam({ learningRate, beta1: p.beta1, beta2: p.beta2, epsilon: p.epsilon });
  }
}
