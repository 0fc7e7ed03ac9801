// Training speed in a real browser: bundles bench/web/page.ts, serves it with the WebAssembly builds and
// a few thousand real MNIST images, opens it in Debian's Chromium (playwright-core), and trains the seed
// CNN for a few batches on each backend, printing images/s. Usage:
//   npm run bench:browser -- [--backends reference,simd,relaxed-simd] [--batch 64] [--batches N] [--runs R]
//                            [--kernels] [--memory] [--profile] [--json] [--wasm-dir DIR]
// --kernels: GFLOP/s of the convolution kernels at the seed CNN's shapes; --memory: one training step's
// kernels with arrays copied per call vs resident in the module's memory; --profile: ms per step in each
// kernel; --wasm-dir: the .wasm files from another build (default dist/wasm). Medians; the machine may be shared.

import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { loadMnist } from '../src/data/mnist.js';
import { wasmDir } from '../src/engine/backends/wasm/node.js';

const CHROMIUM = process.env.DIGITNET_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 || process.argv[i + 1] === undefined || process.argv[i + 1].startsWith('--') ? def : process.argv[i + 1];
}
const flag = (name: string) => process.argv.includes(`--${name}`);

/** count (uint32), count·784 pixels in 0..1, count·10 one-hot labels: what page.ts's mnist() reads. */
function mnistBin(count: number): Buffer {
  const set = loadMnist().train;
  const x = new Float32Array(count * 784), y = new Float32Array(count * 10);
  for (let i = 0; i < count; i++) {
    for (let p = 0; p < 784; p++) x[i * 784 + p] = set.images[i * 784 + p] / 255;
    y[i * 10 + set.labels[i]] = 1;
  }
  return Buffer.concat([Buffer.from(new Uint32Array([count]).buffer), Buffer.from(x.buffer), Buffer.from(y.buffer)]);
}

async function serve(dir: string, data: Buffer): Promise<{ server: Server; url: string }> {
  const types: Record<string, string> = { html: 'text/html', js: 'text/javascript', wasm: 'application/wasm', bin: 'application/octet-stream' };
  const server = createServer((req, res) => {
    const name = (req.url ?? '/').split('?')[0].replace(/^\/+/, '') || 'index.html';
    const file = name === 'data.bin' ? null : name.endsWith('.wasm') ? join(arg('wasm-dir', wasmDir()), name) : join(dir, name);
    const body = file === null ? Promise.resolve(data) : /^[\w.-]+$/.test(name) ? readFile(file) : Promise.reject(new Error('bad path'));
    body.then(
      (b) => res.writeHead(200, { 'content-type': types[name.split('.').pop() ?? ''] ?? 'application/octet-stream' }).end(b),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('bench: no server address');
  return { server, url: `http://127.0.0.1:${addr.port}/` };
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\``);
  const choices = arg('backends', 'reference,simd,relaxed-simd').split(',').filter(Boolean);
  const batch = Number(arg('batch', '64'));
  const batches = Number(arg('batches', '6'));
  const runs = Number(arg('runs', '3'));
  const json = flag('json');
  const dir = await mkdtemp(join(tmpdir(), 'digitnet-bench-'));
  await build({ entryPoints: [join(root, 'bench', 'web', 'page.ts')], outfile: join(dir, 'page.js'), bundle: true, format: 'esm', platform: 'browser', logLevel: 'error' });
  await Promise.all(['index.html'].map(async (f) => (await import('node:fs/promises')).copyFile(join(root, 'bench', 'web', f), join(dir, f))));
  const { server, url } = await serve(dir, mnistBin(Math.max(batch * 8, 1024)));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.goto(url);
    await page.waitForFunction(() => 'digitnetBench' in globalThis);
    const version = browser.version();
    const best = await page.evaluate(() => (globalThis as never as { digitnetBench: { wasmVariant(): string | null } }).digitnetBench.wasmVariant());
    const say = (s: string) => !json && console.log(s);
    say(`seed CNN on MNIST in Chromium ${version} (best WebAssembly variant here: ${best ?? 'none'}), batch ${batch}, median of ${runs} rounds of ${batches} batches per backend (reference: ${Math.ceil(batches / 3)}), backends taking turns`);
    const results: Record<string, unknown>[] = [];
    // The reference backend is ~10x slower: a third of the batches keeps each round short.
    const perBackend = choices.map((c) => (c === 'reference' ? Math.max(1, Math.ceil(batches / 3)) : batches));
    type Bench = { digitnetBench: { train(...a: unknown[]): Promise<{ backend: string; imagesPerSec: number; runs: number[]; profile?: Record<string, number> }[]> } };
    const trained = await page.evaluate(([c, b, nb, rr, pr]) => (globalThis as never as Bench).digitnetBench.train(c, b, nb, rr, pr), [choices, batch, perBackend, runs, flag('profile')] as const);
    const refRate = trained[choices.indexOf('reference')]?.imagesPerSec ?? 0;
    for (const [i, r] of trained.entries()) {
      results.push({ choice: choices[i], ...r });
      const times = refRate && choices[i] !== 'reference' ? `  ${(r.imagesPerSec / refRate).toFixed(1)}x reference` : '';
      say(`${r.backend.padEnd(22)} ${r.imagesPerSec.toFixed(0).padStart(7)} images/s training${times}`);
      if (r.profile) say(`  ms per step: ${Object.entries(r.profile).map(([name, v]) => `${name} ${v}`).join(', ')}`);
    }
    if (flag('kernels')) {
      for (const choice of choices) {
        const k = await page.evaluate(([c, b]) => (globalThis as never as { digitnetBench: { kernels(...a: unknown[]): Promise<Record<string, number>> } }).digitnetBench.kernels(c, b, 5), [choice, batch] as const);
        results.push({ choice, kernels: k });
        say(`${choice} GFLOP/s: ${Object.entries(k).map(([name, v]) => `${name} ${v}`).join(', ')}`);
      }
    }
    if (flag('memory') && best) {
      const m = await page.evaluate(([c, b]) => (globalThis as never as { digitnetBench: { memoryDesign(...a: unknown[]): Promise<Record<string, number>> } }).digitnetBench.memoryDesign(c, b, 9), [best, batch] as const);
      results.push({ choice: best, memory: m });
      say(`memory (${best}, one training step's ${m.kernelCalls} kernel calls, ${(m.bytesOfArrays / 1e6).toFixed(1)} MB of distinct arrays): ` +
        `copied in and out per call ${m.copyMs} ms, resident in wasm memory ${m.residentMs} ms (copies: ${(((m.copyMs - m.residentMs) / m.copyMs) * 100).toFixed(1)}% of the step)`);
    }
    if (json) for (const r of results) console.log(JSON.stringify(r));
  } finally {
    await browser.close();
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
