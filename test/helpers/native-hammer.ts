// Run as a script by test/native-concurrency.test.ts (in a child process, so that a deadlock shows as a
// timeout instead of hanging the suite): prints the count of wrong products per thread as JSON.
// The main thread and two worker threads multiply their own matrices at the same time, 300 times each.

import { Worker } from 'node:worker_threads';
import { loadNativeBackend } from '../../src/engine/backends/native/index.js';
import { Random } from '../../src/engine/random.js';

const native = loadNativeBackend({ threads: 2 });
if (!('binding' in native)) throw new Error(`the native addon did not load: ${native.error}`);
const binding = native.binding;

// A shape that takes the pooled, packed path (several tasks, a shared packing buffer).
const M = 240, N = 96, K = 700;

function inputs(seed: number): { a: Float32Array; b: Float32Array } {
  const r = new Random(seed);
  const fill = (n: number) => Float32Array.from({ length: n }, () => r.uniform(-1, 1));
  return { a: fill(M * K), b: fill(K * N) };
}

/** What each caller runs: the matrix product of its own inputs, `rounds` times, counting results that differ from `want`. */
function hammer(bind: typeof binding, seed: number, want: Float32Array, rounds: number): number {
  const { a, b } = inputs(seed);
  const y = new Float32Array(M * N);
  let wrong = 0;
  for (let i = 0; i < rounds; i++) {
    bind.matmul(a, b, y, M, N, K, false, false);
    if (!Buffer.from(y.buffer).equals(Buffer.from(want.buffer))) wrong++;
  }
  return wrong;
}

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.entry).then(async ({ loadNativeBackend }) => {
  const { Random } = await import(workerData.random);
  const r0 = loadNativeBackend({ threads: 2 });
  const bind = r0.binding;
  const { M, N, K, seed, rounds } = workerData;
  const r = new Random(seed);
  const fill = (n) => Float32Array.from({ length: n }, () => r.uniform(-1, 1));
  const a = fill(M * K), b = fill(K * N);
  const want = new Float32Array(workerData.want);
  const y = new Float32Array(M * N);
  parentPort.postMessage('ready');
  parentPort.once('message', () => {
    let wrong = 0;
    for (let i = 0; i < rounds; i++) {
      bind.matmul(a, b, y, M, N, K, false, false);
      if (!Buffer.from(y.buffer).equals(Buffer.from(want.buffer))) wrong++;
    }
    parentPort.postMessage(wrong);
  });
});`;

async function main(): Promise<void> {
  const seeds = [11, 12, 13];
  // Alone: each caller's product with nothing else running.
  const want = seeds.map((s) => {
    const { a, b } = inputs(s);
    const y = new Float32Array(M * N);
    binding.matmul(a, b, y, M, N, K, false, false);
    return y;
  });
  const rounds = 300;
  const entry = new URL('../../src/engine/backends/native/index.js', import.meta.url).href;
  const random = new URL('../../src/engine/random.js', import.meta.url).href;
  const workers = seeds.slice(1).map((seed, i) => new Worker(workerSource, { eval: true, workerData: { entry, random, M, N, K, seed, rounds, want: want[i + 1].buffer.slice(0) } }));
  const next = (w: Worker) => new Promise<unknown>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  await Promise.all(workers.map(next)); // loaded
  const results = workers.map(next);
  for (const w of workers) w.postMessage('go');
  // The main thread hammers too, while the workers run.
  const mainWrong = hammer(binding, seeds[0], want[0], rounds);
  const wrong = [mainWrong, ...((await Promise.all(results)) as number[])];
  await Promise.all(workers.map((w) => w.terminate()));
  process.stdout.write(`${JSON.stringify(wrong)}\n`);
}

await main();
