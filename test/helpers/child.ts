// Runs one call in a fresh Node process and reports what it cost: the error message it threw (or its
// result), and the process's peak resident memory. Tests of input limits use it to show that a hostile
// file is refused without the memory it asks for, which a test in the same process could not see.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ChildOutcome {
  /** The message of the error thrown, or null when the call returned. */
  error: string | null;
  /** JSON of what it returned (when it returned). */
  result: unknown;
  /** Peak resident memory of the whole process, in MB. */
  peakMb: number;
  /** The process did not finish within the deadline. */
  timedOut: boolean;
  seconds: number;
}

/**
 * Imports `module` (a path under dist/, relative to the repository's dist folder, e.g. 'src/data/mnist.js')
 * in a new process, calls `fn` with `args`, and reports. `timeoutMs` is a safety net for calls that never
 * return (what these tests guard against).
 */
export function callInChild(module: string, fn: string, args: unknown[], timeoutMs = 60_000): ChildOutcome {
  const url = new URL(`../../${module}`, import.meta.url).href;
  const script = `
    const m = await import(${JSON.stringify(url)});
    let out;
    try { out = { error: null, result: await m[${JSON.stringify(fn)}](...${JSON.stringify(args)}) ?? null }; }
    catch (e) { out = { error: String(e && e.message) }; }
    out.peakMb = process.resourceUsage().maxRSS / 1024;
    try { process.stdout.write(JSON.stringify(out)); } catch { process.stdout.write(JSON.stringify({ error: out.error, peakMb: out.peakMb, result: 'unserializable' })); }
  `;
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, DIGITNET_QUIET: '1' }, maxBuffer: 16 << 20 });
  const seconds = (performance.now() - started) / 1000;
  if (r.error || r.status !== 0) {
    return { error: r.stderr.split('\n').find((l) => l.trim()) ?? String(r.error), result: null, peakMb: NaN, timedOut: (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT', seconds };
  }
  const o = JSON.parse(r.stdout) as { error: string | null; result?: unknown; peakMb: number };
  return { error: o.error, result: o.result ?? null, peakMb: o.peakMb, timedOut: false, seconds };
}

export const DIST = fileURLToPath(new URL('../../', import.meta.url));
