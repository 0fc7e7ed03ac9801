// The sampler interface and its registry. A sampler proposes the next trial's parameters from the space
// and the trials so far. It keeps no state between calls: its randomness comes from the study's seed and
// the new trial's number, so a study gives the same trials whether run at once, resumed, or shared by
// several tuners (given the same history).

import { Random } from '../../engine/random.js';
import type { Params, Space } from '../space.js';
import { Registry, type Entry } from '../registry.js';
import type { Direction, Trial } from '../trial.js';

export interface SampleContext {
  space: Space;
  direction: Direction;
  /** Every other trial of the study, in any state, by number. */
  trials: Trial[];
  /** The new trial's number. */
  number: number;
  /** The study's seed. */
  seed: number;
}

export interface Sampler {
  readonly name: string;
  /** The next parameters, or null when the sampler has nothing left to propose (a finished grid). */
  sample(ctx: SampleContext): Params | null;
}

const registry = new Registry<Sampler>('sampler');

/** Called by each sampler's file when it loads. */
export function registerSampler(entry: Entry<Sampler>): void {
  registry.register(entry);
}

export function samplerNames(): string[] {
  return registry.names();
}

export function createSampler(name: string): Sampler {
  return registry.create(name);
}

/** The generator for one trial of one study: independent streams for different trial numbers. */
export function trialRandom(seed: number, number: number, stream = 0): Random {
  // splitmix-style mixing so that nearby (seed, number) pairs give unrelated streams.
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(number + 1, 0x85ebca6b) ^ Math.imul(stream + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  return new Random((h ^ (h >>> 12)) >>> 0);
}
