// BackupAndRestore, as Keras's: after each epoch the whole training state (weights, the optimizer's step and
// moments, the epochs done and their history, the state of every stateful callback, and what the run was
// started with) is written to one file, atomically (a temporary name, flushed, then renamed). A later fit
// with the same backup folder restores it and continues at the next epoch; random state needs no saving,
// since fit derives it from (seed, epoch, batch). A run killed at any moment loses at most one epoch. Node-only.
//
// The file: 'DNBK', a little-endian u32 header length, the JSON header, then the float32 buffers it refers to
// as {"$blob": k} (each 4-byte aligned), so that nothing but a rename ever makes a backup visible.

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { CallbackState, StatefulCallback } from '../../engine/callbacks.js';
import type { Callback, Logs, ResumePoint } from '../../engine/fit.js';
import type { Model } from '../../engine/graph/model.js';

export const BACKUP_DIR = 'backup';
export const BACKUP_FILE = 'state.bin';
/** Bumped whenever the backup's contents change meaning: an older backup is then refused on resume. */
export const BACKUP_FORMAT = 1;
const MAGIC = 'DNBK';

/** What the backup says about the run besides the state itself (its settings, the architecture). */
export type BackupMeta = Record<string, unknown>;

export interface BackupHeader {
  format: number;
  writtenAt: string;
  /** Epochs done. */
  epoch: number;
  /** Whether a callback (early stopping) ended training at that epoch. */
  stopped: boolean;
  history: Record<string, number[]>;
  optimizer: { className: string; iterations: number; slots: Record<string, unknown> };
  weights: unknown;
  callbacks: Record<string, unknown>;
  meta: BackupMeta;
}

export interface Backup {
  header: BackupHeader;
  path: string;
}

/** JSON with float buffers moved out into blobs. */
function encode(v: unknown, blobs: Float32Array[]): unknown {
  if (v instanceof Float32Array) return { $blob: blobs.push(v) - 1 };
  if (Array.isArray(v)) return v.map((x) => encode(x, blobs));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x, blobs)]));
  return v;
}

function decode(v: unknown, blobs: Float32Array[]): unknown {
  if (Array.isArray(v)) return v.map((x) => decode(x, blobs));
  if (v && typeof v === 'object') {
    const ref = (v as { $blob?: unknown }).$blob;
    if (typeof ref === 'number') {
      if (!blobs[ref]) throw new Error(`blob ${ref} is missing`);
      return blobs[ref];
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x, blobs)]));
  }
  return v;
}

/** Writes the backup file in `dir` atomically. */
export function writeBackup(dir: string, header: BackupHeader): void {
  const blobs: Float32Array[] = [];
  const json = Buffer.from(JSON.stringify({ $encoded: encode(header, blobs) }));
  const sizes = blobs.map((b) => b.byteLength);
  const head = Buffer.from(JSON.stringify({ sizes }));
  mkdirSync(dir, { recursive: true });
  const path = join(dir, BACKUP_FILE);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    const prefix = Buffer.alloc(12);
    prefix.write(MAGIC, 0, 'latin1');
    prefix.writeUInt32LE(head.length, 4);
    prefix.writeUInt32LE(json.length, 8);
    writeSync(fd, prefix);
    writeSync(fd, head);
    writeSync(fd, json);
    const pad = (12 + head.length + json.length) % 4;
    if (pad) writeSync(fd, Buffer.alloc(4 - pad));
    for (const b of blobs) writeSync(fd, new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Reads the backup in `dir`; null when there is none. A damaged file is an error naming it. */
export function readBackup(dir: string): Backup | null {
  const path = join(dir, BACKUP_FILE);
  if (!existsSync(path)) return null;
  const buf = readFileSync(path);
  try {
    if (buf.length < 12 || buf.toString('latin1', 0, 4) !== MAGIC) throw new Error('not a digitnet training backup');
    const headLen = buf.readUInt32LE(4);
    const jsonLen = buf.readUInt32LE(8);
    const { sizes } = JSON.parse(buf.toString('utf8', 12, 12 + headLen)) as { sizes: number[] };
    const json = JSON.parse(buf.toString('utf8', 12 + headLen, 12 + headLen + jsonLen)) as { $encoded: unknown };
    let o = 12 + headLen + jsonLen;
    if (o % 4) o += 4 - (o % 4);
    const blobs = sizes.map((n) => {
      if (o + n > buf.length) throw new Error('truncated');
      const b = new Float32Array(buf.buffer.slice(buf.byteOffset + o, buf.byteOffset + o + n));
      o += n;
      return b;
    });
    return { header: decode(json.$encoded, blobs) as BackupHeader, path };
  } catch (e) {
    throw new Error(`${path}: damaged training backup (${(e as Error).message}); remove it to start afresh`);
  }
}

export function removeBackup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface BackupOptions {
  /** The folder the backup lives in. */
  dir: string;
  /** Callbacks whose state is saved and restored (their stateKey must be unique). */
  callbacks?: StatefulCallback[];
  /** What the backup records of the run (settings, architecture); `check` decides whether a backup fits this run. */
  meta?: BackupMeta;
  /** Throws, naming what differs, when a backup found in `dir` is not of this run. */
  check?: (b: Backup) => void;
  /** Called after each backup is written (tests use it to know when to kill). */
  onSaved?: (epoch: number) => void;
}

/**
 * Keras's BackupAndRestore. Put it last in fit's callbacks, so that it saves what the others decided at the
 * end of each epoch. `restored` says where the last fit continued from (null: from the start).
 */
export function backupAndRestore(model: Model, o: BackupOptions): Callback & { restored: ResumePoint | null } {
  const stateful = o.callbacks ?? [];
  const keys = stateful.map((c) => c.stateKey);
  if (new Set(keys).size !== keys.length) throw new Error(`backupAndRestore: two callbacks share a state key (${keys.join(', ')})`);
  let history: Record<string, number[]> = {};
  const cb = {
    restored: null as ResumePoint | null,
    onTrainBegin(): void {
      history = {};
      cb.restored = null;
    },
    restore(): ResumePoint | null {
      const b = readBackup(o.dir);
      if (!b) return null;
      o.check?.(b);
      const h = b.header;
      const weights = h.weights as Float32Array;
      if (!(weights instanceof Float32Array) || weights.length !== model.params.length) {
        throw new Error(`${b.path}: the backup holds ${weights?.length ?? 0} weights, the model has ${model.params.length}`);
      }
      model.setWeights(weights);
      const opt = model.optimizer!;
      if (h.optimizer.className !== opt.className) throw new Error(`${b.path}: the backup's optimizer is ${h.optimizer.className}, this run's is ${opt.className}`);
      opt.setState({ iterations: h.optimizer.iterations, slots: h.optimizer.slots as Record<string, Float32Array> });
      for (const c of stateful) {
        const st = h.callbacks[c.stateKey];
        if (st === undefined) throw new Error(`${b.path}: the backup holds no state for ${c.stateKey}; it was made by a run with other callbacks`);
        c.setState(st as CallbackState);
      }
      history = Object.fromEntries(Object.entries(h.history).map(([k, v]) => [k, [...v]]));
      if (h.stopped) model.stopTraining = true;
      cb.restored = { epoch: h.epoch, history };
      return cb.restored;
    },
    onEpochEnd(epoch: number, logs: Logs): void {
      for (const [k, v] of Object.entries(logs)) (history[k] ??= []).push(v);
      const state = model.optimizer!.getState();
      writeBackup(o.dir, {
        format: BACKUP_FORMAT,
        writtenAt: new Date().toISOString(),
        epoch: epoch + 1,
        stopped: model.stopTraining,
        history,
        optimizer: { className: model.optimizer!.className, iterations: state.iterations, slots: state.slots },
        weights: model.getWeights(),
        callbacks: Object.fromEntries(stateful.map((c) => [c.stateKey, c.getState()])),
        meta: o.meta ?? {},
      });
      o.onSaved?.(epoch + 1);
    },
  };
  return cb;
}
