// The architectures the bench trains, found by name through one lookup: when the engine's zoo lands,
// its models plug in here and every backend, the profile and the peers follow.

import { seedCnn, type Sequential } from '../src/engine/index.js';

/** The names the peer scripts (bench/peers/*.py) know, with the same layers and parameter counts. */
export const PEER_ARCHS = ['seed', 'lenet5', 'vgg', 'resnet20'] as const;

/** A fresh, uncompiled model of architecture `name`, initialized from `seed`. */
const builders: Record<string, (seed: number) => Sequential> = {
  seed: (seed) => seedCnn({ seed }),
};

/** The model of architecture `name`; the error names the architectures digitnet has. */
export function buildArch(name: string, seed = 1): Sequential {
  const make = builders[name];
  if (!make) {
    const known = PEER_ARCHS.includes(name as (typeof PEER_ARCHS)[number]) ? ' yet' : '';
    throw new Error(`architecture '${name}' is not in digitnet${known} (it has: ${Object.keys(builders).join(', ')})`);
  }
  return make(seed);
}

/** Whether `name` is an architecture the bench can name at all (digitnet's or a peer's). */
export function knownArch(name: string): boolean {
  return name in builders || PEER_ARCHS.includes(name as (typeof PEER_ARCHS)[number]);
}
