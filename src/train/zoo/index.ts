// The model zoo: each architecture a function and a name (`digitnet train --arch NAME`). A name not listed
// here may be the path of a model.json topology, which the CLI resolves (see train/arch.ts).

import type { Model } from '../../engine/index.js';
import { lenet5 } from './lenet5.js';
import type { ZooOptions } from './options.js';
import { resnet20 } from './resnet20.js';
import { seedCnn } from './seed.js';
import { vgg } from './vgg.js';

export type { ZooOptions };
export { lenet5, resnet20, seedCnn, vgg };

export const ZOO: Readonly<Record<string, (o?: ZooOptions) => Model>> = { seed: seedCnn, lenet5, vgg, resnet20 };

export const ZOO_NAMES = Object.keys(ZOO);

/** The zoo architecture `name`, or an error listing the names. */
export function zooModel(name: string, o: ZooOptions = {}): Model {
  const make = ZOO[name];
  if (!make) throw new Error(`unknown architecture '${name}'; choose one of ${ZOO_NAMES.join(', ')}, or give the path of a model.json`);
  return make(o);
}
