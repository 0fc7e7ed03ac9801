// The architectures the bench trains, found by name through one lookup: the engine's zoo, so that every
// backend, the profile and the peers (bench/peers/*.py, same layers and parameter counts) follow it.

import type { Model } from '../src/engine/index.js';
import { ZOO, ZOO_NAMES, zooModel } from '../src/train/zoo/index.js';

/** The names the peer scripts (bench/peers/*.py) know, with the same layers and parameter counts. */
export const PEER_ARCHS = ['seed', 'lenet5', 'vgg', 'resnet20'] as const;

/** A fresh, uncompiled model of architecture `name`, initialized from `seed`. */
export function buildArch(name: string, seed = 1): Model {
  if (!(name in ZOO)) throw new Error(`architecture '${name}' is not in digitnet (it has: ${ZOO_NAMES.join(', ')})`);
  return zooModel(name, { seed });
}

/** Whether `name` is an architecture the bench can name at all (digitnet's or a peer's). */
export function knownArch(name: string): boolean {
  return name in ZOO || PEER_ARCHS.includes(name as (typeof PEER_ARCHS)[number]);
}
