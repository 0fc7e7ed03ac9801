// The digitnet command run as a user runs it: `node dist/src/cli/main.js ...` in a given folder, with the
// backend line taken off stderr so what is left is the command's own output. For the CLI tests.

import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The process was killed by the safety deadline (what a hang looks like). */
  timedOut: boolean;
}

export function digitnet(cwd: string, args: string[], o: { env?: Record<string, string>; timeoutMs?: number; uid?: number } = {}): CliResult {
  const opts: SpawnSyncOptions = { cwd, encoding: 'utf8', env: { ...process.env, ...o.env }, maxBuffer: 64 << 20, timeout: o.timeoutMs ?? 120_000 };
  if (o.uid !== undefined) Object.assign(opts, { uid: o.uid, gid: o.uid });
  const r = spawnSync(process.execPath, [MAIN, ...args], opts);
  return {
    code: r.status ?? -1,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? '').replace(/^digitnet: backend .*\n/m, ''),
    timedOut: (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT',
  };
}

/** Runs and expects success; returns stdout. */
export function ok(cwd: string, args: string[]): string {
  const r = digitnet(cwd, args);
  assert.equal(r.code, 0, `digitnet ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Runs and expects exactly `digitnet: <message>` on stderr, exit code 1, no stack trace, within the deadline. */
export function fails(cwd: string, args: string[], message: RegExp, o: { timeoutMs?: number; uid?: number } = {}): CliResult {
  const r = digitnet(cwd, args, o);
  assert.equal(r.timedOut, false, `digitnet ${args.join(' ')} did not finish within ${(o.timeoutMs ?? 120_000) / 1000} s`);
  assert.equal(r.code, 1, `expected exit code 1, got ${r.code}\n${r.stdout}${r.stderr}`);
  assert.match(r.stderr, /^digitnet: /);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.match(r.stderr.trim().slice('digitnet: '.length), message);
  return r;
}
