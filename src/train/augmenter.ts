// The augmenter a training run uses: the native kernel (native/augment.cc) when the addon has it, else the
// TypeScript definition (src/data/augment/reference.ts); both draw the same numbers from the same seeds.
// The native one can also work on a libuv thread, so that fit prepares the next batch while this one
// trains. Node-only.

import { augmentBatchReference } from '../data/augment/reference.js';
import type { AugmentSpec } from '../data/augment/spec.js';
import { loadNativeBinding } from '../engine/backends/native/index.js';
import type { BatchAugmenter } from '../engine/fit.js';

export interface Augmenter extends BatchAugmenter {
  /** 'native' or 'reference'. */
  readonly kind: string;
}

/** An augmenter for one-channel h×w images; `kind` forces one implementation (default: native when available). */
export function makeAugmenter(spec: AugmentSpec, h: number, w: number, kind: 'auto' | 'native' | 'reference' = 'auto'): Augmenter {
  const loaded = kind === 'reference' ? null : loadNativeBinding();
  const nb = loaded && 'binding' in loaded && typeof loaded.binding.augmentBatch === 'function' ? loaded.binding : null;
  if (kind === 'native' && !nb) throw new Error(`augment: the native kernel is not available (${loaded && 'error' in loaded ? loaded.error : 'the addon has no augmentBatch'})`);
  const s = { ...spec };
  if (nb) {
    return {
      kind: 'native',
      apply: (src, dst, n, seed) => nb.augmentBatch(src, dst, n, h, w, s, seed),
      start: (src, dst, n, seed) => nb.augmentBatchAsync(src, dst, n, h, w, s, seed),
    };
  }
  return { kind: 'reference', apply: (src, dst, n, seed) => augmentBatchReference(src, dst, n, h, w, s, seed) };
}
