// Builds the page: bundles src/web/main.ts (with the engine and the preprocessing it imports) into
// dist/web/main.js with esbuild, and the teach mode's Web Worker src/web/teach-worker.ts into
// dist/web/teach-worker.js, and copies index.html, style.css and the WebAssembly backend's modules
// (dist/wasm/*.wasm, built first when missing) beside it.
// Usage: node scripts/build-web.mjs [--dev]   (--dev: no minification)

import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWasm, WASM_VARIANTS, wasmOut } from './build-wasm.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src', 'web');
const out = join(root, 'dist', 'web');

/** Builds the page into dist/web; returns the bundle's size in bytes. */
export async function buildWeb({ dev = false, quiet = false } = {}) {
  await mkdir(out, { recursive: true });
  const result = await build({
    entryPoints: [join(src, 'main.ts'), join(src, 'teach-worker.ts')],
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome100', 'firefox100', 'safari15'],
    minify: !dev,
    sourcemap: true,
    metafile: true,
    logLevel: quiet ? 'error' : 'warning',
  });
  await Promise.all(['index.html', 'style.css'].map((f) => copyFile(join(src, f), join(out, f))));
  if (WASM_VARIANTS.some((v) => !existsSync(join(wasmOut, v.file)))) await buildWasm({ quiet });
  await Promise.all(WASM_VARIANTS.map((v) => copyFile(join(wasmOut, v.file), join(out, v.file))));
  const bytes = result.metafile.outputs[Object.keys(result.metafile.outputs).find((k) => k.endsWith('main.js'))].bytes;
  if (!quiet) console.log(`built ${out} (main.js ${(bytes / 1024).toFixed(1)} KiB)`);
  return bytes;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildWeb({ dev: process.argv.includes('--dev') });
}
