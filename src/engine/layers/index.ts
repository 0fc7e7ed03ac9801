// Layer constructors with Keras's names: `layers.conv2d({...})` builds a Conv2D, and so on. Importing this
// module registers every layer class with the loader (each file registers itself).

import { Activation, LeakyReLU, ReLU } from './activation.js';
import { BatchNormalization, type BatchNormalizationOptions } from './batch-norm.js';
import type { LayerActivation } from './config.js';
import { Conv2D, type Conv2dOptions } from './conv2d.js';
import { Dense, type DenseOptions } from './dense.js';
import { Dropout } from './dropout.js';
import { Flatten } from './flatten.js';
import { InputLayer, input } from './input-layer.js';
import { Add, Average, Concatenate } from './merge.js';
import { AveragePooling2D, GlobalAveragePooling2D, MaxPooling2D, type Pooling2dOptions } from './pooling.js';

export { Activation, Add, Average, AveragePooling2D, BatchNormalization, Concatenate, Conv2D, Dense, Dropout, Flatten };
export { GlobalAveragePooling2D, InputLayer, LeakyReLU, MaxPooling2D, ReLU, input };
export type { BatchNormalizationOptions, Conv2dOptions, DenseOptions, LayerActivation, Pooling2dOptions };
export type { Pooling2dOptions as MaxPooling2dOptions };
export { Layer, type Initializer, type ParamSpec, type RunContext } from './layer.js';
export { l2, type Regularizer } from './config.js';
export { supportedLayerClasses } from './registry.js';

type Named = { inputShape?: number[]; name?: string };

export const conv2d = (o: Conv2dOptions): Conv2D => new Conv2D(o);
export const dense = (o: DenseOptions): Dense => new Dense(o);
export const maxPooling2d = (o: Pooling2dOptions = {}): MaxPooling2D => new MaxPooling2D(o);
export const averagePooling2d = (o: Pooling2dOptions = {}): AveragePooling2D => new AveragePooling2D(o);
export const globalAveragePooling2d = (o: Named = {}): GlobalAveragePooling2D => new GlobalAveragePooling2D(o);
export const batchNormalization = (o: BatchNormalizationOptions = {}): BatchNormalization => new BatchNormalization(o);
export const flatten = (o: Named = {}): Flatten => new Flatten(o);
export const dropout = (o: { rate: number } & Named): Dropout => new Dropout(o);
export const activation = (o: { activation: LayerActivation } & Named): Activation => new Activation(o);
export const reLU = (o: Named = {}): ReLU => new ReLU(o);
export const leakyReLU = (o: { alpha?: number } & Named = {}): LeakyReLU => new LeakyReLU(o);
export const add = (o: { name?: string } = {}): Add => new Add(o);
export const average = (o: { name?: string } = {}): Average => new Average(o);
export const concatenate = (o: { name?: string } = {}): Concatenate => new Concatenate(o);
