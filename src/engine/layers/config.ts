// Reading and writing the pieces of Keras layer configs that several layers share: initializers,
// regularizers, activations, common options. One place, so every layer reads model.json the same way.

import type { Activation } from '../backend.js';
import type { Initializer, LayerConfig } from './layer.js';

/** Activations a layer's `activation` option accepts: the element-wise ones and softmax. */
export type LayerActivation = Exclude<Activation, 'leakyRelu'> | 'softmax';
export const LAYER_ACTIVATIONS: readonly LayerActivation[] = ['linear', 'relu', 'tanh', 'sigmoid', 'elu', 'selu', 'softmax'];

export function checkActivation(a: string, layer: string, allowed: readonly string[] = LAYER_ACTIVATIONS): LayerActivation {
  if (!allowed.includes(a)) throw new Error(`${layer}: activation must be one of ${allowed.map((s) => `'${s}'`).join(', ')}, got '${a}'`);
  return a as LayerActivation;
}

/** Keras's initializer config for model.json. */
export function initializerConfig(init: Initializer): LayerConfig {
  switch (init) {
    case 'zeros':
      return { class_name: 'Zeros', config: {} };
    case 'ones':
      return { class_name: 'Ones', config: {} };
    case 'glorotUniform':
      return { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null } };
    case 'glorotNormal':
      return { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'normal', seed: null } };
    case 'heNormal':
      return { class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_in', distribution: 'normal', seed: null } };
    case 'heUniform':
      return { class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_in', distribution: 'uniform', seed: null } };
  }
}

/** Best-effort mapping back to our initializer names; loaded weights replace the values anyway. */
export function readInitializer(v: unknown, fallback: Initializer = 'glorotUniform'): Initializer {
  const i = v as { class_name?: string; config?: LayerConfig } | undefined;
  if (!i || typeof i !== 'object') return fallback;
  if (i.class_name === 'Zeros') return 'zeros';
  if (i.class_name === 'Ones') return 'ones';
  if (i.class_name === 'HeNormal') return 'heNormal';
  if (i.class_name === 'HeUniform') return 'heUniform';
  if (i.class_name === 'GlorotNormal') return 'glorotNormal';
  if (i.class_name === 'GlorotUniform') return 'glorotUniform';
  if (i.class_name !== 'VarianceScaling' || !i.config) return fallback;
  const { scale, mode, distribution } = i.config;
  const normal = distribution !== 'uniform';
  if (scale === 2 && mode === 'fan_in') return normal ? 'heNormal' : 'heUniform';
  return normal ? 'glorotNormal' : 'glorotUniform';
}

/** An L2 penalty as Keras's kernel_regularizer option: `l2(0.0005)`. */
export interface Regularizer {
  l2: number;
}

export function l2(factor = 0.01): Regularizer {
  if (!(factor >= 0) || !Number.isFinite(factor)) throw new Error(`l2: the factor must be a non-negative number, got ${factor}`);
  return { l2: factor };
}

/** TensorFlow.js writes L1L2; Keras 3 writes L2. Both are read; L1 terms are refused rather than ignored. */
export function regularizerConfig(r: Regularizer | null): LayerConfig | null {
  return r ? { class_name: 'L1L2', config: { l1: 0, l2: r.l2 } } : null;
}

export function readRegularizer(v: unknown, at: string): Regularizer | null {
  if (v === null || v === undefined) return null;
  const r = v as { class_name?: string; config?: { l1?: number; l2?: number } };
  if ((r.class_name === 'L1L2' || r.class_name === 'L2') && r.config) {
    if (r.config.l1) throw new Error(`${at}: L1 regularization is not supported (only L2)`);
    return l2(r.config.l2 ?? 0);
  }
  throw new Error(`${at}: regularizer ${JSON.stringify(r.class_name) ?? typeof r.class_name} is not supported (L2 and L1L2 with l1 = 0 are)`);
}

/** The options every layer config carries: its name and, on a first layer, the input shape. */
export function commonOptions(c: LayerConfig): { name?: string; inputShape?: number[] } {
  const s = (c.batch_input_shape ?? c.batch_shape) as (number | null)[] | undefined;
  return {
    name: typeof c.name === 'string' ? c.name : undefined,
    inputShape: Array.isArray(s) ? (s.slice(1) as number[]) : undefined,
  };
}

export function channelsLast(c: LayerConfig, at: string): void {
  if (c.data_format !== undefined && c.data_format !== null && c.data_format !== 'channels_last') {
    throw new Error(`${at}: data_format ${JSON.stringify(c.data_format) ?? typeof c.data_format} is not supported (channels_last is)`);
  }
}

/** A config's activation, checked against what the layer supports. */
export function readActivation(c: LayerConfig, at: string, allowed: readonly string[] = LAYER_ACTIVATIONS): LayerActivation {
  const a = (c.activation as string | undefined) ?? 'linear';
  if (!allowed.includes(a)) throw new Error(`${at}: activation '${a}' is not supported here (${allowed.join(', ')})`);
  return a as LayerActivation;
}
