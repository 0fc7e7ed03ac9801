// The storages: each file registers itself when loaded; this list is the one place that loads them.

import './postgres.js';
import './sqlite.js';

export { openStorage, storageSchemes, type Storage } from './storage.js';
