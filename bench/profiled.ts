// A backend whose every kernel adds its time to a table: the benches' --profile. Browser-safe.

import type { Backend } from '../src/engine/backend.js';

/** Wraps a backend so that each kernel's time is summed into acc (milliseconds, by kernel name). */
export function profiled(b: Backend, acc: Record<string, number>): Backend {
  const out: Record<string, unknown> = { name: b.name };
  for (const k of Object.keys(b) as (keyof Backend)[]) {
    const f = b[k];
    if (typeof f !== 'function') continue;
    out[k] = (...args: unknown[]) => {
      const t = performance.now();
      const r = (f as (...a: unknown[]) => unknown).apply(b, args);
      acc[k] = (acc[k] ?? 0) + performance.now() - t;
      return r;
    };
  }
  return out as unknown as Backend;
}
