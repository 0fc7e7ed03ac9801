// Why a model gave its answer, per image: the class probabilities and the top classes, the saliency (the
// gradient of the explained class's score with respect to the input pixels, Simonyan et al. 2014) and
// Grad-CAM over the last convolution. The score is the class's logit, the value before the softmax, as both
// papers take it. One forward and one backward pass serve a whole batch: each example's gradient depends on
// its own row only (the model runs in inference mode). Browser-safe.

import type { Model } from '../engine/graph/model.js';
import type { Layer } from '../engine/layers/layer.js';
import { fmtShape, sizeOf, Tensor } from '../engine/tensor.js';
import { gradCamLayer, gradCamOf, type GradCam } from './gradcam.js';

export interface ClassScore {
  index: number;
  p: number;
}

export interface Explanation {
  /** The class explained: the predicted one unless another was asked for. */
  classIndex: number;
  probabilities: Float32Array;
  /** The most probable classes, most probable first. */
  top: ClassScore[];
  /** ∂score/∂pixel, with the input's shape (h, w, c), signed. */
  gradient: Float32Array;
  /** The saliency map (h, w): the largest |∂score/∂pixel| over the channels, as Simonyan et al. define it. */
  saliency: Float32Array;
  /** Grad-CAM, or null when the model has no convolution (or `layer: null` was asked). */
  gradCam: GradCam | null;
}

export interface ExplainOptions {
  /** The class to explain, for every image or per image (default: each image's predicted class). */
  classIndex?: number | number[];
  /** The Grad-CAM layer's name; default gradCamLayer(model); null for no Grad-CAM. */
  layer?: string | null;
  /** How many top classes to list (default 3). */
  top?: number;
}

/** Explains each image of the batch x (n, h, w, c), pixels as the model takes them (0..1). */
export function explain(model: Model, x: Tensor, o: ExplainOptions = {}): Explanation[] {
  const n = x.shape[0];
  const classes = sizeOf(model.outputShape);
  // The predicted classes need a forward pass first; classes given need none (the gradient pass gives the output).
  const predicted = o.classIndex === undefined ? model.predict(x).argMax() : null;
  const targets = Array.from({ length: n }, (_, r) => checkClass(Array.isArray(o.classIndex) ? o.classIndex[r] : o.classIndex ?? predicted![r], classes));
  const dOut = new Tensor(new Float32Array(n * classes), [n, classes]);
  targets.forEach((c, r) => (dOut.data[r * classes + c] = 1));
  const cam = camLayer(model, o.layer);
  const g = model.inputGradients(x, dOut, { layers: cam ? [cam.name] : [] });
  const probs = g.output.data;
  const per = sizeOf(model.inputShape);
  const [h, w] = model.inputShape.length === 3 ? model.inputShape : [1, per];
  return targets.map((classIndex, r) => {
    const p = probs.slice(r * classes, (r + 1) * classes);
    const gradient = g.input.data.slice(r * per, (r + 1) * per);
    const maps = cam && g.layers[cam.name];
    const camOut = maps ? rowOf(maps.output, r) : null;
    return {
      classIndex,
      probabilities: p,
      top: topClasses(p, o.top ?? 3),
      gradient,
      saliency: saliencyMap(gradient, per / (h * w)),
      gradCam: maps && camOut ? gradCamOf(cam.name, camOut, rowOf(maps.gradient, r), cam.outputShape, [h, w]) : null,
    };
  });
}

/** max over channels of |g| for gradients laid out (h, w, c). */
export function saliencyMap(gradient: Float32Array, channels: number): Float32Array {
  const out = new Float32Array(gradient.length / channels);
  for (let p = 0; p < out.length; p++) {
    let m = 0;
    for (let c = 0; c < channels; c++) m = Math.max(m, Math.abs(gradient[p * channels + c]));
    out[p] = m;
  }
  return out;
}

/** The k most probable classes, most probable first (ties: the lower index first). */
export function topClasses(probabilities: ArrayLike<number>, k: number): ClassScore[] {
  return Array.from(probabilities, (p, index) => ({ index, p }))
    .sort((a, b) => b.p - a.p || a.index - b.index)
    .slice(0, k);
}

function camLayer(model: Model, name: string | null | undefined): Layer | null {
  if (name === null) return null;
  if (name === undefined) return gradCamLayer(model);
  const layer = model.getLayer(name);
  if (layer.outputShape.length !== 3) {
    throw new Error(`explain: Grad-CAM needs feature maps [null,h,w,channels], but layer '${name}' outputs ${fmtShape([null, ...layer.outputShape])}`);
  }
  return layer;
}

function checkClass(c: number, classes: number): number {
  if (!Number.isInteger(c) || c < 0 || c >= classes) throw new Error(`explain: class ${c} is not one of the model's classes 0..${classes - 1}`);
  return c;
}

function rowOf(t: Tensor, r: number): Float32Array {
  const per = t.size / t.shape[0];
  return t.data.subarray(r * per, (r + 1) * per);
}
