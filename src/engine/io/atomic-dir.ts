// Folders that appear whole or not at all. A folder `<parent>/<name>` is built in `<parent>/.<name>.partial/`
// (dot-prefixed, so no listing picks it up), which holds an owner file naming the process that writes it.
// When done, it is marked complete and renamed into place; an existing folder is first renamed aside to
// `<parent>/.<name>.old/` and removed after. A kill between those two renames leaves a complete partial
// folder and no target: settleDir(), called by every reader before it looks, finishes the commit. So a
// reader finds the old folder or the new one, never a mix. Node-only.

import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

/** The owner file inside a partial folder; it is removed once the folder is in place. */
export const OWNER_FILE = '.digitnet-partial.json';

interface Owner {
  pid: number;
  host: string;
  startedAt: string;
  complete: boolean;
}

/** Where `target` is built: `<parent>/.<name>.partial`. */
export function partialPathOf(target: string): string {
  const t = resolve(target);
  return join(dirname(t), `.${basename(t)}.partial`);
}

/** Where the previous `target` waits while the new one is renamed into place: `<parent>/.<name>.old`. */
export function oldPathOf(target: string): string {
  const t = resolve(target);
  return join(dirname(t), `.${basename(t)}.old`);
}

function readOwner(partial: string): Owner | null {
  try {
    return JSON.parse(readFileSync(join(partial, OWNER_FILE), 'utf8')) as Owner;
  } catch {
    return null;
  }
}

/** True while the process that owns a partial folder still runs (on this host; another host's is assumed alive). */
function ownerAlive(o: Owner | null): boolean {
  if (!o || typeof o.pid !== 'number') return false;
  if (o.host !== hostname()) return true;
  if (o.pid === process.pid) return true;
  try {
    process.kill(o.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function fsError(action: string, path: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  const why: Record<string, string> = {
    EACCES: 'permission denied', EPERM: 'operation not permitted', EROFS: 'read-only file system', ENOSPC: 'no space left on the device',
    ENOTDIR: 'a part of the path is a file, not a folder', ENOENT: 'a part of the path does not exist and cannot be created', EEXIST: 'it exists',
  };
  return new Error(`cannot ${action} ${path}: ${err.code ? `${why[err.code] ?? err.code} (${err.code})` : err.message}`);
}

/**
 * Claims `.<name>.partial` for this process and returns its path. A partial folder left by a process that
 * is gone is removed first (`discarded` says so); one that a live process owns is an error.
 */
export async function beginPartial(target: string): Promise<{ dir: string; discarded: Owner | null }> {
  const partial = partialPathOf(target);
  const parent = dirname(partial);
  let discarded: Owner | null = null;
  if (existsSync(partial)) {
    const owner = readOwner(partial);
    if (ownerAlive(owner) && owner!.pid !== process.pid) {
      throw new Error(`${partial} is being written by process ${owner!.pid} on ${owner!.host} (started ${owner!.startedAt}); wait for it, or remove the folder if that process is gone`);
    }
    discarded = owner ?? { pid: 0, host: '', startedAt: '', complete: false };
    await rm(partial, { recursive: true, force: true });
  }
  try {
    await makeDirs(parent);
    await mkdir(partial);
    await writeOwner(partial, false);
  } catch (e) {
    await rm(partial, { recursive: true, force: true }).catch(() => undefined);
    throw fsError('write in', parent, e);
  }
  return { dir: partial, discarded };
}

/**
 * Takes over the partial folder of `target` that a process now gone left (to resume its work in it): the
 * owner file names this process from now on. Null when there is no such folder; an error when its process
 * still runs.
 */
export async function adoptPartial(target: string): Promise<{ dir: string; previous: Owner | null } | null> {
  const partial = partialPathOf(target);
  if (!existsSync(partial)) return null;
  const owner = readOwner(partial);
  if (ownerAlive(owner) && owner!.pid !== process.pid) {
    throw new Error(`${partial} is being written by process ${owner!.pid} on ${owner!.host} (started ${owner!.startedAt}); wait for it, or stop that process`);
  }
  try {
    await writeOwner(partial, false);
  } catch (e) {
    throw fsError('write in', partial, e);
  }
  return { dir: partial, previous: owner };
}

/** Whether a partial folder for `target` exists and the process that owns it is gone. */
export function partialOrphaned(target: string): boolean {
  const partial = partialPathOf(target);
  return existsSync(partial) && !ownerAlive(readOwner(partial));
}

/**
 * `mkdir -p`, one level at a time from the nearest folder that exists. (Node's recursive mkdir never returns
 * for some paths under /proc; this fails at the first level that cannot be made.)
 */
export async function makeDirs(path: string): Promise<void> {
  const missing: string[] = [];
  for (let p = resolve(path); !existsSync(p); p = dirname(p)) {
    missing.push(p);
    if (dirname(p) === p) break;
  }
  for (const dir of missing.reverse()) {
    try {
      await mkdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

async function writeOwner(partial: string, complete: boolean): Promise<void> {
  const owner: Owner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), complete };
  const tmp = join(partial, `${OWNER_FILE}.tmp`);
  await writeFile(tmp, JSON.stringify(owner) + '\n', { flush: true });
  await rename(tmp, join(partial, OWNER_FILE));
}

/** Makes the finished partial folder `target`: marked complete, then renamed into place (see the header). */
export async function commitPartial(target: string): Promise<string> {
  const t = resolve(target);
  const partial = partialPathOf(t);
  const old = oldPathOf(t);
  try {
    await writeOwner(partial, true);
    if (existsSync(t)) {
      await rm(old, { recursive: true, force: true });
      await rename(t, old);
    }
    await rename(partial, t);
  } catch (e) {
    throw fsError('move the finished folder into', t, e);
  }
  await rm(join(t, OWNER_FILE), { force: true });
  await rm(old, { recursive: true, force: true });
  return t;
}

/** Removes this process's partial folder for `target` (after a failure). */
export async function abandonPartial(target: string): Promise<void> {
  const partial = partialPathOf(target);
  if (readOwner(partial)?.pid === process.pid) await rm(partial, { recursive: true, force: true });
}

/**
 * Finishes a commit that a kill interrupted (a complete partial folder and no target: renamed into place;
 * a leftover `.old` beside a target: removed), once its process is gone. Cheap when there is nothing to do.
 */
export function settleDir(target: string): void {
  const t = resolve(target);
  const partial = partialPathOf(t);
  const old = oldPathOf(t);
  const hasPartial = existsSync(partial);
  const hasOld = existsSync(old);
  if (!hasPartial && !hasOld) return;
  const owner = hasPartial ? readOwner(partial) : null;
  if (owner && ownerAlive(owner) && owner.pid !== process.pid) return; // its process is still at work
  try {
    if (!existsSync(t)) {
      if (owner?.complete) {
        renameSync(partial, t);
        rmSync(join(t, OWNER_FILE), { force: true });
      } else if (hasOld) {
        renameSync(old, t); // the new folder never became whole: the old one comes back
      }
    }
    if (existsSync(t) && existsSync(old)) rmSync(old, { recursive: true, force: true });
  } catch {
    // Another reader settled it first, or the folder is not writable: readers see what is there.
  }
}
