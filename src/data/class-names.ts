// The names of a data set's classes: a class-names file (one name per line, line N naming label N-1; given
// with --class-names, or `classes.txt` beside a CSV), or the indices themselves when the data names none.
// Every refusal names the file and line. Node-only.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readRegularFile } from '../engine/io/read-file.js';
import { MAX_LABEL } from './csv.js';
import type { ImageSet } from './idx.js';
import { indexNames } from './model-input.js';

/** The file a CSV's class names are read from when --class-names is not given. */
export const CLASS_NAMES_FILE = 'classes.txt';

/** Reads a class-names file: one non-empty name per line, no name twice, trailing blank lines allowed. */
export function readClassNames(path: string): string[] {
  const text = readRegularFile(path, 1 << 20, 'class-names file').toString('utf8');
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new Error(`${path}: the class-names file is empty; write one class name per line, the name of label 0 first`);
  if (lines.length > MAX_LABEL + 1) throw new Error(`${path}: ${lines.length} class names, more than the ${MAX_LABEL + 1} classes digitnet reads`);
  const seen = new Map<string, number>();
  return lines.map((raw, i) => {
    const name = raw.trim();
    if (name === '') throw new Error(`${path}:${i + 1}: an empty line; every line names one class (label ${i})`);
    if (seen.has(name)) throw new Error(`${path}:${i + 1}: '${name}' names label ${seen.get(name)} already (line ${seen.get(name)! + 1})`);
    seen.set(name, i);
    return name;
  });
}

/** The class-names file: the one given, else `classes.txt` in the data's folder (`dir`), else none. */
export function classNamesFile(dir: string | null, given?: string): string | null {
  if (given) {
    if (!existsSync(given)) throw new Error(`--class-names ${given}: no such file`);
    return given;
  }
  const inDir = dir ? join(dir, CLASS_NAMES_FILE) : null;
  return inDir && existsSync(inDir) ? inDir : null;
}

/**
 * Names the classes of labelled sets (train and test together): from `file` when given (every label must
 * have a name), else by index up to the largest label.
 */
export function nameClasses(sets: ImageSet[], file: string | null): string[] {
  let top = -1;
  for (const s of sets) for (const l of s.labels) if (l > top) top = l;
  if (!file) return indexNames(top + 1);
  const names = readClassNames(file);
  if (top >= names.length) throw new Error(`${file}: names ${names.length} classes (labels 0..${names.length - 1}), but the data has label ${top}`);
  return names;
}
