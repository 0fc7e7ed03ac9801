// Builds the WebAssembly backend's kernels (wasm/assembly/*.ts, AssemblyScript) into dist/wasm/: one
// module with WebAssembly SIMD, and one that also uses relaxed SIMD's fused multiply-add where the
// runtime has it (the backend picks at load time). Run by `npm run build`, hence by `npm ci`'s prepare.
// Usage: node scripts/build-wasm.mjs

import asc from 'assemblyscript/asc';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'wasm', 'assembly', 'index.ts');
export const wasmOut = join(root, 'dist', 'wasm');

/** The two builds: file name and the features beyond the defaults. */
export const WASM_VARIANTS = [
  { file: 'digitnet-simd.wasm', features: ['simd'] },
  { file: 'digitnet-relaxed-simd.wasm', features: ['simd', 'relaxed-simd'] },
];

/** Compiles every variant; throws with the compiler's messages when one fails. */
export async function buildWasm({ quiet = false } = {}) {
  await mkdir(wasmOut, { recursive: true });
  for (const v of WASM_VARIANTS) {
    const out = join(wasmOut, v.file);
    const args = [entry, '-o', out, '-O3', '--noAssert', '--runtime', 'stub', ...v.features.flatMap((f) => ['--enable', f])];
    let messages = '';
    const sink = { write: (s) => ((messages += String(s)), true) };
    const { error } = await asc.main(args, { stdout: sink, stderr: sink });
    if (error) throw new Error(`build-wasm: ${v.file} failed: ${error.message}\n${messages}`);
    if (!quiet) console.log(`built ${out} (${((await stat(out)).size / 1024).toFixed(1)} KiB)`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildWasm();
}
