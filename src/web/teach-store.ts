// Where the personal model lives between visits: one IndexedDB record holding its TF.js artifacts
// (model.json's object and the weight bytes) and what the page says about it.

import type { ModelJson } from '../engine/io/artifacts.js';

export interface StoredModel {
  modelJson: ModelJson;
  weightData: ArrayBuffer;
  /** The original model it was fine-tuned from (name and parameter count): a different served model makes it stale. */
  base: string;
  /** The page's sentence about it (samples, held-out accuracy before and after). */
  summary: string;
  createdAt: string;
}

const DB = 'digitnet';
const STORE = 'personal-model';
const KEY = 'current';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB could not be opened'));
  });
}

async function run<T>(mode: IDBTransactionMode, op: (s: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = op(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result as T);
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    });
  } finally {
    db.close();
  }
}

export function loadPersonal(): Promise<StoredModel | undefined> {
  return run<StoredModel | undefined>('readonly', (s) => s.get(KEY));
}

export function savePersonal(m: StoredModel): Promise<void> {
  return run<void>('readwrite', (s) => s.put(m, KEY));
}

export function clearPersonal(): Promise<void> {
  return run<void>('readwrite', (s) => s.delete(KEY));
}
