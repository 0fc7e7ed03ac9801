// What a model takes and what its outputs are called: its input shape, how an image of any size becomes that
// input (MNIST's own preprocessing for 28x28x1 models, a plain resize for every other shape), and its class
// names. Training records them in model.json's userDefinedMetadata (`digitnet.classNames`,
// `digitnet.preprocess`), and predict, the API, the page, explain and the report read them back from there,
// so that every one of them prepares an image the same way and names the classes the same way. A model
// without them (TensorFlow.js's, or digitnet's before) is a digit model: MNIST's preprocessing at 28x28x1,
// classes named by their index. Browser-safe: typed arrays only.

import { grayscale, resizeArea, toMnist, type RawImage } from './preprocess.js';

/** 'mnist': crop to the ink, 20x20 box, centre of mass at the centre; 'resize': the whole image to the input size. */
export type Preprocess = 'mnist' | 'resize';

export interface InputSpec {
  height: number;
  width: number;
  /** 1 (gray) or 3 (RGB). */
  channels: number;
  preprocess: Preprocess;
  /** One name per output class, by index. */
  classNames: string[];
}

/** What `top` lists in JSON answers: the class index, its name and its probability. */
export interface NamedScore {
  index: number;
  className: string;
  p: number;
}

/** The preprocessing a model of this input shape uses: MNIST's at 28x28x1, a plain resize otherwise. */
export function preprocessFor(shape: readonly number[]): Preprocess {
  return shape[0] === 28 && shape[1] === 28 && (shape[2] ?? 1) === 1 ? 'mnist' : 'resize';
}

/** Classes named by their index ('0', '1', ...): digits, and any data that does not name its classes. */
export function indexNames(classes: number): string[] {
  return Array.from({ length: classes }, (_, i) => String(i));
}

/**
 * The spec of a model from its shapes and model.json's userDefinedMetadata. Metadata that does not fit the
 * model (a names list of another length, an unknown preprocessing) is an error naming `source`.
 */
export function inputSpecOf(model: { inputShape: readonly number[]; outputShape: readonly number[] }, metadata: unknown, source = 'model.json'): InputSpec {
  const s = model.inputShape;
  if (s.length !== 3 || (s[2] !== 1 && s[2] !== 3)) {
    throw new Error(`${source}: the model takes [null,${s.join(',')}]; digitnet feeds images of shape [null,height,width,1 or 3]`);
  }
  const classes = model.outputShape[0];
  const d = (metadata as { digitnet?: { classNames?: unknown; preprocess?: unknown } } | undefined)?.digitnet;
  const names = d?.classNames;
  if (names !== undefined && (!Array.isArray(names) || names.length !== classes || !names.every((n) => typeof n === 'string'))) {
    throw new Error(`${source}: userDefinedMetadata.digitnet.classNames must list ${classes} names (one per output class), got ${JSON.stringify(names).slice(0, 80)}`);
  }
  const pre = d?.preprocess ?? preprocessFor(s);
  if (pre !== 'mnist' && pre !== 'resize') throw new Error(`${source}: userDefinedMetadata.digitnet.preprocess is '${String(pre)}'; expected 'mnist' or 'resize'`);
  if (pre === 'mnist' && preprocessFor(s) !== 'mnist') throw new Error(`${source}: MNIST's preprocessing makes 28x28x1 images, but the model takes [null,${s.join(',')}]`);
  return { height: s[0], width: s[1], channels: s[2], preprocess: pre, classNames: (names as string[] | undefined) ?? indexNames(classes) };
}

/** What training writes into userDefinedMetadata.digitnet for a model of this spec. */
export function specMetadata(spec: InputSpec): { classNames: string[]; preprocess: Preprocess } {
  return { classNames: [...spec.classNames], preprocess: spec.preprocess };
}

/** The model's input for one image (values 0..1, (h, w, c) row-major); `empty` when MNIST's preprocessing finds no ink. */
export function prepareImage(img: RawImage, spec: Pick<InputSpec, 'height' | 'width' | 'channels' | 'preprocess'>): { pixels: Float32Array; empty: boolean } {
  if (spec.preprocess === 'mnist') {
    const { pixels, empty } = toMnist(img, { invert: 'auto' });
    return { pixels, empty };
  }
  return { pixels: resizeImage(img, spec.height, spec.width, spec.channels), empty: false };
}

/**
 * The whole image resized to h x w with area averaging (no crop, no inversion), as gray (1 channel) or RGB
 * (3), values 0..1. Transparent parts are composited onto white, as grayscale() does.
 */
export function resizeImage(img: RawImage, h: number, w: number, channels: number): Float32Array {
  const planes = channels === 1 ? [grayscale(img)] : rgbPlanes(img);
  const out = new Float32Array(h * w * channels);
  planes.forEach((plane, c) => {
    const small = resizeArea(plane, img.width, img.height, w, h);
    for (let i = 0; i < h * w; i++) out[i * channels + c] = Math.min(1, Math.max(0, small[i] / 255));
  });
  return out;
}

/** The red, green and blue planes 0..255 (gray images repeated; alpha composited onto white). */
function rgbPlanes(img: RawImage): Float32Array[] {
  const n = img.width * img.height;
  const ch = img.channels;
  const planes = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  for (let i = 0; i < n; i++) {
    const p = i * ch;
    const a = ch === 2 || ch === 4 ? img.data[p + ch - 1] / 255 : 1;
    for (let c = 0; c < 3; c++) {
      const v = ch >= 3 ? img.data[p + c] : img.data[p];
      planes[c][i] = v * a + 255 * (1 - a);
    }
  }
  return planes;
}

/** The k most probable classes with their names, most probable first (ties: the lower index first). */
export function namedTop(probabilities: ArrayLike<number>, classNames: readonly string[], k = 3): NamedScore[] {
  return Array.from(probabilities, (p, index) => ({ index, className: classNames[index] ?? String(index), p }))
    .sort((a, b) => b.p - a.p || a.index - b.index)
    .slice(0, k);
}

/** True when the names are the indices themselves (a digit model): outputs then show the index alone. */
export function namesAreIndices(classNames: readonly string[]): boolean {
  return classNames.every((n, i) => n === String(i));
}
