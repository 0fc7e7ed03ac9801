// Run as a script by test/native-concurrency.test.ts (in a child process, so that a deadlock shows as a
// timeout instead of hanging the suite), and by itself as the two worker threads: the main thread and the
// workers multiply their own matrices at the same time, 300 times each. Prints the count of products that
// differed from the caller's product alone, per thread, as JSON.

import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { loadNativeBackend } from '../../src/engine/backends/native/index.js';
import { Random } from '../../src/engine/random.js';

const native = loadNativeBackend({ threads: 2 });
if (!('binding' in native)) throw new Error(`the native addon did not load: ${native.error}`);
const binding = native.binding;

// A shape that takes the pooled, packed path (several tasks, a shared packing buffer).
const M = 240, N = 96, K = 700;
const ROUNDS = 300;

function product(seed: number): { a: Float32Array; b: Float32Array; y: Float32Array } {
  const r = new Random(seed);
  const fill = (n: number) => Float32Array.from({ length: n }, () => r.uniform(-1, 1));
  return { a: fill(M * K), b: fill(K * N), y: new Float32Array(M * N) };
}

/** The product of seed's matrices, ROUNDS times; how many differ from `want`. */
function hammer(seed: number, want: Float32Array): number {
  const { a, b, y } = product(seed);
  let wrong = 0;
  for (let i = 0; i < ROUNDS; i++) {
    binding.matmul(a, b, y, M, N, K, false, false);
    if (!Buffer.from(y.buffer).equals(Buffer.from(want.buffer))) wrong++;
  }
  return wrong;
}

function message(w: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
}

async function main(): Promise<void> {
  const seeds = [11, 12, 13];
  // Alone: each caller's product with nothing else running.
  const want = seeds.map((s) => {
    const p = product(s);
    binding.matmul(p.a, p.b, p.y, M, N, K, false, false);
    return p.y;
  });
  const workers = seeds.slice(1).map((seed, i) => new Worker(new URL(import.meta.url), { workerData: { seed, want: want[i + 1] } }));
  await Promise.all(workers.map(message)); // loaded
  const results = workers.map(message);
  for (const w of workers) w.postMessage('go');
  const wrong = [hammer(seeds[0], want[0]), ...((await Promise.all(results)) as number[])];
  await Promise.all(workers.map((w) => w.terminate()));
  process.stdout.write(`${JSON.stringify(wrong)}\n`);
}

if (isMainThread) {
  await main();
} else {
  const { seed, want } = workerData as { seed: number; want: Float32Array };
  parentPort!.once('message', () => parentPort!.postMessage(hammer(seed, want)));
  parentPort!.postMessage('ready');
}
