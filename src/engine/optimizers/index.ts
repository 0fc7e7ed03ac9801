// The optimizers, and their constructors with Keras's names.

import { Adam, AdamW, type AdamOptions, type AdamWOptions } from './adam.js';
import { RMSprop, type RmspropOptions } from './rmsprop.js';
import { SGD, type SgdOptions } from './sgd.js';

export { Adam, AdamW, RMSprop, SGD };
export type { AdamOptions, AdamWOptions, RmspropOptions, SgdOptions };
import { Optimizer } from './optimizer.js';
export { Optimizer };
export type { LearningRateSchedule, OptimizerOptions, Slice } from './optimizer.js';
export type OptimizerName = 'adam' | 'adamw' | 'sgd' | 'rmsprop';

export const adam = (o?: AdamOptions): Adam => new Adam(o);
export const adamw = (o?: AdamWOptions): AdamW => new AdamW(o);
export const sgd = (o?: SgdOptions): SGD => new SGD(o);
export const rmsprop = (o?: RmspropOptions): RMSprop => new RMSprop(o);

/** compile's optimizer option: a name (with defaults) or an optimizer object. */
export function optimizerFrom(o: Optimizer | OptimizerName | undefined): Optimizer {
  if (o === undefined || o === 'adam') return new Adam();
  if (o === 'adamw') return new AdamW();
  if (o === 'sgd') return new SGD();
  if (o === 'rmsprop') return new RMSprop();
  if (typeof o === 'string') throw new Error(`compile: unknown optimizer '${o}'; use 'adam', 'adamw', 'sgd', 'rmsprop' or an optimizer object`);
  return o;
}
