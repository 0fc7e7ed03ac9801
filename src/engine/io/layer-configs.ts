// Keras layer configs (model.json) → our layers, with an error naming the layer for anything we can't run.

import { Conv2D } from '../layers/conv2d.js';
import { Dense } from '../layers/dense.js';
import { Dropout } from '../layers/dropout.js';
import { Flatten } from '../layers/flatten.js';
import type { Initializer, Layer } from '../layers/layer.js';
import { MaxPooling2D } from '../layers/pooling.js';

type Config = Record<string, unknown>;

/** A layer, or (for InputLayer) just the input shape it declares. */
export function layerFromConfig(entry: unknown, where: string): { layer: Layer } | { inputShape: number[] } {
  const e = entry as { class_name?: string; config?: Config };
  if (!e || typeof e.class_name !== 'string' || typeof e.config !== 'object' || e.config === null) {
    throw new Error(`${where}: expected {class_name, config}`);
  }
  const c = e.config;
  const at = `${where} ('${String(c.name ?? e.class_name)}', ${e.class_name})`;
  const inputShape = declaredInputShape(c);
  const common = { name: typeof c.name === 'string' ? c.name : undefined, inputShape };
  switch (e.class_name) {
    case 'InputLayer':
      if (!inputShape) throw new Error(`${at}: no batch_input_shape`);
      return { inputShape };
    case 'Conv2D':
      channelsLast(c, at);
      if (c.dilation_rate && (c.dilation_rate as number[]).some((d) => d !== 1)) throw new Error(`${at}: dilated convolutions are not supported`);
      if ((c.groups ?? 1) !== 1) throw new Error(`${at}: grouped convolutions are not supported`);
      return {
        layer: new Conv2D({
          ...common,
          filters: c.filters as number,
          kernelSize: c.kernel_size as [number, number],
          strides: (c.strides as [number, number]) ?? 1,
          padding: c.padding as 'valid' | 'same',
          activation: activation(c, at, ['linear', 'relu']) as 'linear' | 'relu',
          useBias: (c.use_bias as boolean) ?? true,
          kernelInitializer: initializer(c.kernel_initializer),
        }),
      };
    case 'MaxPooling2D':
    case 'MaxPool2D':
      channelsLast(c, at);
      return {
        layer: new MaxPooling2D({
          ...common,
          poolSize: c.pool_size as [number, number],
          strides: (c.strides as [number, number] | null) ?? undefined,
          padding: c.padding as 'valid' | 'same',
        }),
      };
    case 'Flatten':
      channelsLast(c, at);
      return { layer: new Flatten(common) };
    case 'Dropout':
      return { layer: new Dropout({ ...common, rate: c.rate as number }) };
    case 'Dense':
      return {
        layer: new Dense({
          ...common,
          units: c.units as number,
          activation: activation(c, at, ['linear', 'relu', 'softmax']) as 'linear' | 'relu' | 'softmax',
          useBias: (c.use_bias as boolean) ?? true,
          kernelInitializer: initializer(c.kernel_initializer),
        }),
      };
    default:
      throw new Error(`${at}: layer type ${e.class_name} is not supported (Conv2D, MaxPooling2D, Flatten, Dropout, Dense, InputLayer are)`);
  }
}

function declaredInputShape(c: Config): number[] | undefined {
  const s = (c.batch_input_shape ?? c.batch_shape) as (number | null)[] | undefined;
  return Array.isArray(s) ? (s.slice(1) as number[]) : undefined;
}

function channelsLast(c: Config, at: string): void {
  if (c.data_format !== undefined && c.data_format !== 'channels_last') {
    throw new Error(`${at}: data_format '${String(c.data_format)}' is not supported (channels_last is)`);
  }
}

function activation(c: Config, at: string, allowed: string[]): string {
  const a = (c.activation as string | undefined) ?? 'linear';
  if (!allowed.includes(a)) throw new Error(`${at}: activation '${a}' is not supported here (${allowed.join(', ')})`);
  return a;
}

/** Best-effort mapping back to our initializer names; loaded weights replace the values anyway. */
function initializer(v: unknown): Initializer {
  const i = v as { class_name?: string; config?: Config } | undefined;
  if (!i || i.class_name !== 'VarianceScaling' || !i.config) return 'glorotUniform';
  const { scale, mode, distribution } = i.config;
  const normal = distribution !== 'uniform';
  if (scale === 2 && mode === 'fan_in') return normal ? 'heNormal' : 'heUniform';
  return normal ? 'glorotNormal' : 'glorotUniform';
}
