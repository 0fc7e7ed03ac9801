// The sampler interface and its registry. A sampler proposes the next trial's parameters from the space
// and the trials so far. It keeps no state between calls: its randomness comes from the study's seed and
// the new trial's number, so a study gives the same trials whether run at once, resumed, or shared by
// several tuners (given the same history).

import { Random } from '../../engine/random.js';
import type { Params, Space } from '../space.js';
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

export interface SamplerEntry {
  name: string;
  /** One line for `--help` and the README. */
  description: string;
  create(): Sampler;
}

const registry = new Map<string, SamplerEntry>();

/** Called by each sampler's file when it loads. */
export function registerSampler(entry: SamplerEntry): void {
  if (registry.has(entry.name)) throw new Error(`sampler '${entry.name}' is registered twice`);
  registry.set(entry.name, entry);
}

export function samplerNames(): string[] {
  return [...registry.keys()];
}

export function createSampler(name: string): Sampler {
  const e = registry.get(name);
  if (!e) throw new Error(`unknown sampler '${name}' (samplers: ${samplerNames().join(', ')})`);
  return e.create();
}

/** The generator for one trial of one study: independent streams for different trial numbers. */
export function trialRandom(seed: number, number: number, stream = 0): Random {
  // splitmix-style mixing so that nearby (seed, number) pairs give unrelated streams.
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(number + 1, 0x85ebca6b) ^ Math.imul(stream + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  return new Random((h ^ (h >>> 12)) >>> 0);
}
