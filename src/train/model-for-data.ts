// The model a run trains, fitted to its data: the input shape the data is made into (`--image-size`,
// `--channels`), a zoo architecture built for the data's shape and class count, an architecture file or a
// `--from` model checked against them (transfer.ts does the latter), and what model.json records so that
// every later reader prepares images and names classes as training did. Node-only (through transfer.ts).

import type { InputShape, LoadedData } from '../data/sources.js';
import { preprocessFor, specMetadata, type InputSpec } from '../data/model-input.js';
import type { Model } from '../engine/index.js';
import { isZooName } from './arch.js';
import { transferModel, type TransferOptions, type TransferRecord } from './transfer.js';
import type { RunJson } from './run-files.js';
import { zooModel } from './zoo/index.js';

export interface DatasetOptions {
  /** Height and width images are made into (default: the data's own; 28 for image folders). */
  imageSize?: number;
  /** 1 (gray) or 3 (RGB) (default: the data's own; 1 for image folders). */
  channels?: number;
  /** A class-names file, for data that does not name its classes (default: classes.txt beside a CSV). */
  classNames?: string;
  /** Train on only the first this many images of each class. */
  perClass?: number;
}

/** The sizes `--image-size` takes: the zoo's pooling needs at least 8 pixels, and memory grows with the square. */
export const IMAGE_SIZE_RANGE = { min: 8, max: 256 };

/** Checks --image-size and --channels, naming the option. */
export function checkDatasetOptions(o: DatasetOptions): void {
  if (o.imageSize !== undefined && !(Number.isInteger(o.imageSize) && o.imageSize >= IMAGE_SIZE_RANGE.min && o.imageSize <= IMAGE_SIZE_RANGE.max)) {
    throw new Error(`--image-size must be a whole number from ${IMAGE_SIZE_RANGE.min} to ${IMAGE_SIZE_RANGE.max}, got ${o.imageSize}`);
  }
  if (o.channels !== undefined && o.channels !== 1 && o.channels !== 3) throw new Error(`--channels must be 1 (gray) or 3 (RGB), got ${o.channels}`);
  if (o.perClass !== undefined && !(Number.isInteger(o.perClass) && o.perClass >= 1)) throw new Error(`--per-class must be a whole number of at least 1, got ${o.perClass}`);
}

/** The shape asked for on the command line, or undefined to keep the data's own (28x28x1 for image folders). */
export function requestedShape(o: DatasetOptions): InputShape | undefined {
  if (o.imageSize === undefined && o.channels === undefined) return undefined;
  const side = o.imageSize ?? 28;
  return [side, side, o.channels ?? 1];
}

export interface FittedModel {
  model: Model;
  spec: InputSpec;
  /** What --from did (null for a model trained from scratch). */
  transfer: TransferRecord | null;
}

/**
 * The model to train on `data` (whose images have shape `shape`): `--from`'s model adapted by transfer.ts, a
 * zoo architecture built again when the data's shape or class count differs from what it was built for, or
 * an architecture file that must already fit.
 */
export function modelForData(model: Model, o: { arch: string; seed: number } & TransferOptions, data: LoadedData, shape: number[]): FittedModel {
  const classes = data.classNames.length;
  const spec: InputSpec = { height: shape[0], width: shape[1], channels: shape[2], preprocess: preprocessFor(shape), classNames: data.classNames };
  if (o.from) {
    const t = transferModel(model, o, shape, classes, o.seed);
    return { model: t.model, spec, transfer: t.record };
  }
  const fits = model.inputShape.join() === shape.join() && model.outputShape.join() === String(classes);
  if (fits) return { model, spec, transfer: null };
  if (isZooName(o.arch)) return { model: zooModel(o.arch, { seed: o.seed, inputShape: shape as InputShape, classes }), spec, transfer: null };
  if (model.inputShape.join() !== shape.join()) {
    throw new Error(`--arch ${o.arch}: the model takes input [null,${model.inputShape}], the data is [null,${shape}]`);
  }
  throw new Error(`--arch ${o.arch}: the model outputs [null,${model.outputShape}], the data has ${classes} classes`);
}

/** What model.json's userDefinedMetadata.digitnet gains: the class names and the preprocessing. */
export function modelMetadata(spec: InputSpec): Record<string, unknown> {
  return specMetadata(spec);
}

/** What run.json records of the data's classes and shape, and of --from. */
export function recordData(run: RunJson, data: LoadedData, fitted: FittedModel): void {
  run.data.classNames = data.classNames;
  run.data.inputShape = [fitted.spec.height, fitted.spec.width, fitted.spec.channels];
  run.data.preprocess = fitted.spec.preprocess;
  run.data.classCounts = classCounts(data.train.labels, data.classNames.length);
  if (fitted.transfer) {
    const { notes: _notes, ...transfer } = fitted.transfer;
    run.transfer = transfer;
  }
}

function classCounts(labels: Uint8Array, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const l of labels) counts[l]++;
  return counts;
}

/** The lines said before training: the image folder's classes and counts, and what --from did. */
export function dataNotes(data: LoadedData, fitted: FittedModel): string[] {
  const notes = [...data.notes];
  const pre = fitted.spec.preprocess === 'mnist' ? "MNIST's preprocessing" : 'a plain resize';
  if (data.notes.length || fitted.spec.preprocess === 'resize') notes.push(`Input: ${fitted.spec.height}x${fitted.spec.width}x${fitted.spec.channels} (${pre} for images)`);
  if (fitted.transfer) notes.push(...fitted.transfer.notes);
  return notes;
}
