// A node:test reporter that prints, after the run, how long each test file took (slowest first), so that
// `npm test` shows where its time goes. Used beside the spec reporter (see package.json's test script).

import { relative } from 'node:path';

export default async function* fileTimings(source) {
  const files = new Map();
  for await (const ev of source) {
    // A file's own test (name = the file's path) completes once, with the file's whole duration.
    if (ev.type === 'test:complete' && ev.data.file && ev.data.name === ev.data.file) {
      files.set(ev.data.file, { ms: ev.data.details?.duration_ms ?? 0, ok: ev.data.details?.passed !== false });
    }
  }
  if (files.size === 0) return;
  const rows = [...files].sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((s, [, f]) => s + f.ms, 0);
  const width = Math.max(...rows.map(([f]) => relative(process.cwd(), f).length));
  yield `\nTime per test file (${rows.length} files, ${(total / 1000).toFixed(1)} s in all):\n`;
  for (const [file, f] of rows) yield `  ${relative(process.cwd(), file).padEnd(width)}  ${(f.ms / 1000).toFixed(1).padStart(6)} s${f.ok ? '' : '  FAILED'}\n`;
}
