// Layer constructors with Keras's names: `layers.conv2d({...})` builds a Conv2D, and so on.

import { Conv2D, type Conv2dOptions } from './conv2d.js';
import { Dense, type DenseOptions } from './dense.js';
import { Dropout } from './dropout.js';
import { Flatten } from './flatten.js';
import { MaxPooling2D, type MaxPooling2dOptions } from './pooling.js';

export { Conv2D, Dense, Dropout, Flatten, MaxPooling2D };
export type { Conv2dOptions, DenseOptions, MaxPooling2dOptions };
export { Layer, type Initializer, type ParamSpec, type RunContext } from './layer.js';

export const conv2d = (o: Conv2dOptions): Conv2D => new Conv2D(o);
export const dense = (o: DenseOptions): Dense => new Dense(o);
export const maxPooling2d = (o: MaxPooling2dOptions = {}): MaxPooling2D => new MaxPooling2D(o);
export const flatten = (o: { inputShape?: number[]; name?: string } = {}): Flatten => new Flatten(o);
export const dropout = (o: { rate: number; inputShape?: number[]; name?: string }): Dropout => new Dropout(o);
