// The model in the page: fetched once from the server's /model/ (the same files the API runs), run on
// the backend the page chose (backend.ts), fed by the same preprocessing as `digitnet predict`: the one its
// model.json records (MNIST's for a digit model, a plain resize for other input shapes), with its class names.

import { Tensor } from '../engine/index.js';
import type { Model } from '../engine/graph/model.js';
import { modelFromArtifacts, type ModelJson } from '../engine/io/artifacts.js';
import { resolveInside } from '../engine/io/paths.js';
import { inputSpecOf, prepareImage, type InputSpec } from '../data/model-input.js';

export interface Classification {
  /** The image the model saw (h, w, c), 0..1: for a digit model 28x28, white ink on black. */
  pixels: Float32Array;
  /** True when there was no ink: no prediction is made. */
  empty: boolean;
  label: number | null;
  /** The predicted class's name (the digit itself for a digit model). */
  className: string | null;
  probabilities: Float32Array;
  /** Time spent preprocessing and predicting, in milliseconds. */
  ms: number;
}

export class Classifier {
  private constructor(readonly model: Model, readonly spec: InputSpec) {}

  /** A classifier of a model already built (the personal model of teach mode), preparing images as `spec` says. */
  static of(model: Model, spec: InputSpec): Classifier {
    return new Classifier(model, spec);
  }

  /** Fetches model.json and its weight files (relative to `base`) and builds the model. */
  static async load(base: string): Promise<Classifier> {
    const json = (await fetchOk(`${base}model.json`).then((r) => r.json())) as ModelJson;
    const paths = json.weightsManifest.flatMap((g) => g.paths);
    // The one path rule: weights come from the model's own folder, never from elsewhere on the server or the web.
    const outside = paths.find((p) => resolveInside('/model', p) === null);
    if (outside !== undefined) throw new Error(`${base}model.json names a weights file outside its folder: ${outside}`);
    const parts = await Promise.all(paths.map((p) => fetchOk(`${base}${p}`).then((r) => r.arrayBuffer())));
    const model = modelFromArtifacts(json, concat(parts), `${base}model.json`);
    return new Classifier(model, inputSpecOf(model, json.userDefinedMetadata, `${base}model.json`));
  }

  /** Preprocesses an RGBA image (canvas pixels or a decoded upload) and classifies it. */
  classify(img: ImageData): Classification {
    const t0 = performance.now();
    const { pixels, empty } = prepareImage({ data: img.data, width: img.width, height: img.height, channels: 4 }, this.spec);
    let label: number | null = null;
    let probabilities: Float32Array = new Float32Array(this.spec.classNames.length);
    if (!empty) {
      const out = this.model.predict(new Tensor(pixels, [1, this.spec.height, this.spec.width, this.spec.channels]));
      probabilities = out.data;
      label = out.argMax()[0];
    }
    return { pixels, empty, label, className: label === null ? null : this.spec.classNames[label], probabilities, ms: performance.now() - t0 };
  }
}

async function fetchOk(url: string): Promise<Response> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status} ${r.statusText}`);
  return r;
}

function concat(parts: ArrayBuffer[]): ArrayBuffer {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), o);
    o += p.byteLength;
  }
  return out.buffer;
}
