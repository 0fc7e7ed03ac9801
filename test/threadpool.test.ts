// The native thread pool hands each job's tasks out exactly once and returns only when all have ended, even
// when jobs come back to back and another thread competes for the cores. Before the fix in threadpool.cc, a
// worker finishing the last task of one job could claim a task of the next before it was published: that
// task ran twice and parallel_for could return while it still ran, which showed as rare crashes (SIGSEGV)
// and training runs that drifted apart when augmentation was prepared on another thread. The stress harness
// (test/native/pool-stress.cc) is built from the pool's own source with the system compiler; on the old code
// it found hundreds of such tasks in ten million jobs.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'digitnet-pool-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let built: string | null = null;
function build(): string {
  if (built) return built;
  const exe = join(dir, 'pool-stress');
  const r = spawnSync('g++', ['-O2', '-std=c++17', '-pthread', '-I', join(ROOT, 'native'),
    join(ROOT, 'test', 'native', 'pool-stress.cc'), join(ROOT, 'native', 'threadpool.cc'), '-o', exe], { encoding: 'utf8' });
  assert.equal(r.status, 0, `g++ failed to build the pool stress harness:\n${r.stderr}`);
  return (built = exe);
}

for (const threads of [2, 3]) {
  test(`every task of 4,000,000 back-to-back jobs runs exactly once, and each job ends before parallel_for returns (${threads} threads)`, () => {
    const exe = build();
    const r = spawnSync(exe, ['4000000', String(threads)], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.signal, null, `the harness died with ${r.signal}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /tasks not run exactly once 0, returns with a task still running 0/, r.stdout + r.stderr);
    assert.equal(r.status, 0);
  });
}
