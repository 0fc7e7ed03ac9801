// The native addon is one per process, and so are its thread pool and scratch buffers: a server runs
// kernels on its main thread (/api/read, /api/explain) while its inference worker predicts, and a library
// user may train in several worker threads at once. Kernel calls from different JS threads must therefore
// not interleave: the binding serializes them. test/helpers/native-hammer.ts has the main thread and two
// worker threads multiply their own matrices at the same time, 300 times each; every product must equal,
// bit for bit, the one the same call gives alone. Before the binding serialized its calls, the three
// threads deadlocked in the pool within the first few products: run in a child process, that is a timeout.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const HAMMER = fileURLToPath(new URL('./helpers/native-hammer.js', import.meta.url));

test('kernels called from the main thread and two worker threads at once give the results each gives alone', () => {
  const r = spawnSync(process.execPath, [HAMMER], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, DIGITNET_QUIET: '1' } });
  assert.equal(r.signal, null, `the three threads did not finish within 60 s (killed with ${r.signal}): a deadlock in the native pool\n${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  const wrong = JSON.parse(r.stdout.trim().split('\n').pop()!) as number[];
  assert.deepEqual(wrong, [0, 0, 0], `products that differed from the caller's own, per thread (main, worker 1, worker 2): ${wrong.join(', ')}`);
});
