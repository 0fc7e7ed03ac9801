// A folder of images with one sub-folder per class (`letters/A/*.png`, `letters/B/*.jpg`, ...), as
// torchvision's ImageFolder and Keras's image_dataset_from_directory read them: the class names are the
// sub-folders' names in sorted (code point) order, and the label of an image is the index of its folder.
// Images are PNG or JPEG of any size, gray or colour, each made into the model's input by the one
// preprocessing of model-input.ts (MNIST's at 28x28x1, a plain resize otherwise) and stored as bytes.
// A folder with `train/` and `test/` sub-folders, each laid out so, gives both sets. Every refusal is one
// line naming the folder or file: fewer than two classes, an empty class, an image that does not decode.
// Node-only.

import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { ImageSet } from './idx.js';
import { readImageFile } from './images.js';
import { prepareImage, preprocessFor, type Preprocess } from './model-input.js';

export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

/** The shape images are made into, and how. */
export interface FolderShape {
  height: number;
  width: number;
  channels: number;
  preprocess?: Preprocess;
}

export interface ClassFolders {
  dir: string;
  classNames: string[];
  /** The image files of each class, sorted by name. */
  files: string[][];
  /** Entries that are neither images nor class folders (other files, folders inside a class), left out. */
  skipped: string[];
}

export interface FolderImages extends ImageSet {
  classNames: string[];
  /** Images read per class. */
  counts: number[];
  skipped: string[];
}

/** Whether `dir` splits into `train/` and `test/` sub-folders, each with class folders inside. */
export function trainTestFolders(dir: string): { train: string; test: string } | null {
  const subs = subFolders(dir);
  const train = subs.find((n) => n.toLowerCase() === 'train');
  const test = subs.find((n) => n.toLowerCase() === 'test');
  if (!train || !test || subs.length !== 2) return null;
  if (subFolders(join(dir, train)).length === 0) return null;
  return { train: join(dir, train), test: join(dir, test) };
}

/** The class folders of `dir`, checked: at least two classes (a test set may have one), each with at least one image. */
export function listClassFolders(dir: string, minClasses = 2): ClassFolders {
  const entries = readdirSync(dir).filter((n) => !n.startsWith('.'));
  const classNames = entries.filter((n) => isDir(join(dir, n))).sort();
  if (classNames.length < minClasses) {
    const images = entries.filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase())).length;
    const what = classNames.length === 0 ? (images ? `${images} image${images === 1 ? '' : 's'} but no class folders` : 'no class folders') : `one class folder ('${classNames[0]}')`;
    throw new Error(`${dir}: holds ${what}; an image folder needs one sub-folder per class, at least two (such as A/ and B/, each holding that class's images)`);
  }
  const skipped = entries.filter((n) => !classNames.includes(n)).map((n) => join(dir, n));
  const files = classNames.map((c) => {
    const folder = join(dir, c);
    const names = readdirSync(folder).filter((n) => !n.startsWith('.')).sort();
    const images = names.filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase()) && !isDir(join(folder, n)));
    skipped.push(...names.filter((n) => !images.includes(n)).map((n) => join(folder, n)));
    if (images.length === 0) throw new Error(`${folder}: the class folder '${c}' holds no images (.png, .jpg or .jpeg); every class needs at least one`);
    return images.map((n) => join(folder, n));
  });
  return { dir, classNames, files, skipped };
}

/**
 * Reads the images of a class folder tree into `shape`. Classes are interleaved (the first image of each
 * class, then the second of each, ...), so the first `limit` images hold every class.
 */
export function readImageFolder(dir: string, shape: FolderShape, o: { limit?: number; classNames?: string[] } = {}): FolderImages {
  const listed = listClassFolders(dir, o.classNames ? 1 : 2);
  const classNames = o.classNames ?? listed.classNames;
  const labelOf = listed.classNames.map((c) => {
    const i = classNames.indexOf(c);
    if (i < 0) throw new Error(`${join(dir, c)}: class '${c}' is not one of the training classes (${classNames.join(', ')})`);
    return i;
  });
  const order = interleaved(listed.files.map((f) => f.length));
  const n = o.limit ? Math.min(o.limit, order.length) : order.length;
  const per = shape.height * shape.width * shape.channels;
  const images = new Uint8Array(n * per);
  const labels = new Uint8Array(n);
  const counts = new Array<number>(classNames.length).fill(0);
  const spec = { ...shape, preprocess: shape.preprocess ?? preprocessFor([shape.height, shape.width, shape.channels]) };
  for (let r = 0; r < n; r++) {
    const [c, k] = order[r];
    const path = listed.files[c][k];
    const { pixels, empty } = prepareImage(readImageFile(path), spec);
    if (empty) throw new Error(`${path}: the image is blank (no ink stands out from its background)`);
    for (let i = 0; i < per; i++) images[r * per + i] = Math.round(pixels[i] * 255);
    labels[r] = labelOf[c];
    counts[labelOf[c]]++;
  }
  return { images, labels, count: n, height: shape.height, width: shape.width, channels: shape.channels, classNames, counts, skipped: listed.skipped };
}

/** [class, index within the class] in round-robin order over classes of the given sizes. */
function interleaved(sizes: number[]): [number, number][] {
  const out: [number, number][] = [];
  const longest = Math.max(...sizes);
  for (let k = 0; k < longest; k++) sizes.forEach((s, c) => k < s && out.push([c, k]));
  return out;
}

/** Whether a folder looks like an image folder: it has sub-folders, or images directly in it (refused with a reason). */
export function looksLikeImageFolder(dir: string): boolean {
  return readdirSync(dir).some((n) => !n.startsWith('.') && (isDir(join(dir, n)) || IMAGE_EXTENSIONS.has(extname(n).toLowerCase())));
}

/** One line: "26 classes (A 200, B 200, ...)". */
export function describeCounts(classNames: string[], counts: number[], max = 12): string {
  const shown = classNames.slice(0, max).map((c, i) => `${c} ${counts[i].toLocaleString('en-US')}`);
  const more = classNames.length > max ? `, ... ${classNames.length - max} more` : '';
  return `${classNames.length} classes (${shown.join(', ')}${more})`;
}

function subFolders(dir: string): string[] {
  return readdirSync(dir).filter((n) => !n.startsWith('.') && isDir(join(dir, n)));
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
