// Reading a file a user named, with the checks that keep it cheap: it must be a regular file (not a folder,
// a device such as /dev/zero, a pipe or a socket, which can be endless), and no larger than a limit that the
// caller states, checked on the open descriptor before a byte is read. One-line errors name the file and the
// limit. Node-only; used for model files here and for data files (CSV, IDX, images) by src/data.

import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** 1536 → '1.5 KB'; sizes in the units people read. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** 'an IDX file', 'a CSV file'. */
function an(what: string): string {
  return `${/^[aeiou]/i.test(what) ? 'an' : 'a'} ${what}`;
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a pipe';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Opens `path` for reading and checks it: a regular file of at most `maxBytes`. Returns the descriptor and size. */
export function openRegularFile(path: string, maxBytes: number, what = 'file'): { fd: number; size: number } {
  let fd: number;
  try {
    // O_NONBLOCK: opening a pipe for reading would otherwise wait for a writer; it changes nothing for files.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${path}: no such file`);
    if (code === 'EISDIR') throw new Error(`${path}: is a folder, not ${an(what)}`);
    throw new Error(`${path}: cannot open (${code ?? (e as Error).message})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      const kind = kindOf(st);
      throw new Error(kind === 'a folder' ? `${path}: is a folder, not ${an(what)}` : `${path}: is ${kind}, not a regular file; give ${an(what)}`);
    }
    if (st.size > maxBytes) {
      throw new Error(`${path}: ${formatBytes(st.size)} is more than the ${formatBytes(maxBytes)} ${an(what)} may be`);
    }
    return { fd, size: st.size };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** The whole of a regular file of at most `maxBytes` (see openRegularFile). */
export function readRegularFile(path: string, maxBytes: number, what = 'file'): Buffer {
  const { fd, size } = openRegularFile(path, maxBytes, what);
  try {
    const buf = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, buf, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    // A file that grew since it was measured is read only as far as it was: never past the limit.
    return got === size ? buf : buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}
