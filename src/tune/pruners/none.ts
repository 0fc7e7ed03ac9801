// No pruning: every trial runs all its epochs.

import { registerPruner, type Pruner } from './pruner.js';

class NoPruner implements Pruner {
  readonly name = 'none';
  shouldPrune(): boolean {
    return false;
  }
}

registerPruner({ name: 'none', description: 'every trial runs all its epochs', create: () => new NoPruner() });
