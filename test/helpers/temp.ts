// Temporary folders for a test file, removed when its process exits (node --test runs each file in its own
// process), whether its tests passed or failed. DIGITNET_KEEP_TEMP=1 keeps them for a look after a failure.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
process.on('exit', () => {
  if (process.env.DIGITNET_KEEP_TEMP === '1') return;
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A new empty folder under the system's temporary folder, named `prefix` + random characters. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
