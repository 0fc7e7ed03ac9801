// The pruners: each file registers itself when loaded; this list is the one place that loads them.

import './asha.js';
import './median.js';
import './none.js';

export { createPruner, prunerNames, type Pruner, type PruneContext } from './pruner.js';
