// The model in the page: fetched once from the server's /model/ (the same files the API runs), run on
// the backend the page chose (backend.ts), fed by the same preprocessing module as `digitnet predict`.

import { Tensor } from '../engine/index.js';
import type { Model } from '../engine/graph/model.js';
import { modelFromArtifacts, type ModelJson } from '../engine/io/artifacts.js';
import { resolveInside } from '../engine/io/paths.js';
import { toMnist } from '../data/preprocess.js';

export interface Classification {
  /** The 28x28 image the model saw, 0..1, white ink on black. */
  pixels: Float32Array;
  /** True when there was no ink: no prediction is made. */
  empty: boolean;
  label: number | null;
  probabilities: Float32Array;
  /** Time spent preprocessing and predicting, in milliseconds. */
  ms: number;
}

export class Classifier {
  private constructor(readonly model: Model) {}

  /** A classifier of a model already built (the personal model of teach mode). */
  static of(model: Model): Classifier {
    return new Classifier(model);
  }

  /** Fetches model.json and its weight files (relative to `base`) and builds the model. */
  static async load(base: string): Promise<Classifier> {
    const json = (await fetchOk(`${base}model.json`).then((r) => r.json())) as ModelJson;
    const paths = json.weightsManifest.flatMap((g) => g.paths);
    // The one path rule: weights come from the model's own folder, never from elsewhere on the server or the web.
    const outside = paths.find((p) => resolveInside('/model', p) === null);
    if (outside !== undefined) throw new Error(`${base}model.json names a weights file outside its folder: ${outside}`);
    const parts = await Promise.all(paths.map((p) => fetchOk(`${base}${p}`).then((r) => r.arrayBuffer())));
    return new Classifier(modelFromArtifacts(json, concat(parts), `${base}model.json`));
  }

  /** Preprocesses an RGBA image (canvas pixels or a decoded upload) and classifies it. */
  classify(img: ImageData): Classification {
    const t0 = performance.now();
    const { pixels, empty } = toMnist({ data: img.data, width: img.width, height: img.height, channels: 4 }, { invert: 'auto' });
    let label: number | null = null;
    let probabilities: Float32Array = new Float32Array(10);
    if (!empty) {
      const out = this.model.predict(new Tensor(pixels, [1, 28, 28, 1]));
      probabilities = out.data;
      label = out.argMax()[0];
    }
    return { pixels, empty, label, probabilities, ms: performance.now() - t0 };
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
