// Picks the backend for Node: DIGITNET_BACKEND=auto (default: native when the addon loads, else the
// reference backend with the reason) | native (must load, else a clear error) | wasm (the WebAssembly
// backend, as the browser runs it; must load) | reference. DIGITNET_THREADS sizes the native thread pool.
// Node-only (the page chooses its own: src/web/backend.ts).

import { setBackend, type Backend } from '../backend.js';
import { referenceBackend } from './reference/index.js';
import { loadNativeBackend } from './native/index.js';
import { loadWasmBackend } from './wasm/node.js';

export interface Selection {
  backend: Backend;
  /** Why this backend: the choice, or why native did not load. */
  reason: string;
  /** Where the native addon came from (built on this machine, prebuilt, built on first use); absent for reference. */
  origin?: string;
}

let selected: Selection | null = null;
let announced = false;

/** Chooses (and installs with setBackend) the backend named by DIGITNET_BACKEND. */
export function selectBackend(env: NodeJS.ProcessEnv = process.env): Selection {
  const choice = (env.DIGITNET_BACKEND ?? 'auto').trim().toLowerCase() || 'auto';
  if (choice !== 'auto' && choice !== 'native' && choice !== 'wasm' && choice !== 'reference') {
    throw new Error(`DIGITNET_BACKEND must be auto, native, wasm or reference, got '${env.DIGITNET_BACKEND}'`);
  }
  let sel: Selection;
  if (choice === 'reference') {
    sel = { backend: referenceBackend(), reason: 'DIGITNET_BACKEND=reference' };
  } else if (choice === 'wasm') {
    const r = loadWasmBackend();
    if ('error' in r) throw new Error(`DIGITNET_BACKEND=wasm, but the WebAssembly backend did not load: ${r.error}`);
    sel = { backend: r.backend, reason: 'DIGITNET_BACKEND=wasm' };
  } else {
    const threads = env.DIGITNET_THREADS ? Number(env.DIGITNET_THREADS) : undefined;
    if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
      throw new Error(`DIGITNET_THREADS must be a positive integer, got '${env.DIGITNET_THREADS}'`);
    }
    const r = loadNativeBackend({ threads });
    if ('backend' in r) {
      sel = { backend: r.backend, reason: choice === 'native' ? 'DIGITNET_BACKEND=native' : 'native addon loaded', origin: r.origin };
    } else if (choice === 'native') {
      throw new Error(`DIGITNET_BACKEND=native, but the native addon did not load: ${r.error}`);
    } else {
      sel = { backend: referenceBackend(), reason: `native addon not loaded: ${r.error}` };
    }
  }
  setBackend(sel.backend);
  selected = sel;
  return sel;
}

/** The line announceBackend() prints. */
export function describeBackend(sel: Selection): string {
  if (sel.backend.name.startsWith('native')) return `digitnet: backend ${sel.backend.name}${sel.origin ? `, ${sel.origin}` : ''}`;
  const name = sel.backend.name === 'reference' ? 'reference (TypeScript)' : sel.backend.name;
  return sel.reason.startsWith('native addon not loaded') ? `digitnet: backend ${name} — ${sel.reason}` : `digitnet: backend ${name}`;
}

/** Prints the chosen backend once to stderr (selecting it first if needed); silent when DIGITNET_QUIET=1. */
export function announceBackend(env: NodeJS.ProcessEnv = process.env): void {
  const sel = selected ?? selectBackend(env);
  if (announced || env.DIGITNET_QUIET === '1') return;
  announced = true;
  process.stderr.write(`${describeBackend(sel)}\n`);
}
