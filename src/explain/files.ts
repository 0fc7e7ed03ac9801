// Explanations written as PNG files (Node): for each image a folder with the image the model saw, its saliency,
// its Grad-CAM and a grid of each convolution's feature maps; for the model, its first layer's filters.
// Pixels are encoded by the project's PNG writer (data/images.ts).

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeGrayPng, encodeRgbPng } from '../data/images.js';
import type { Model } from '../engine/graph/model.js';
import { Tensor } from '../engine/tensor.js';
import { explain, type ClassScore, type ExplainOptions } from './explain.js';
import { convActivations, firstLayerFilters } from './features.js';
import { explanationRasters, featureMapGrid, filterGrid } from './figures.js';
import { isEmptyGradCam } from './gradcam.js';
import type { Raster } from './render.js';

export interface ExplainedImage {
  /** Where the image came from (a path). */
  input: string;
  /** The folder name its files go in (unique within the output). */
  name: string;
  /** What the model takes: (h, w, c) values 0..1. */
  pixels: Float32Array;
}

export interface WrittenExplanation {
  input: string;
  /** Its folder in the output. */
  name: string;
  label: number;
  top: ClassScore[];
  gradCamLayer: string | null;
  /** Grad-CAM's map is zero everywhere (every channel-weighted sum negative). */
  gradCamEmpty: boolean;
  /** The files written, relative to the output folder. */
  files: { input: string; saliency: string; gradCam: string | null; activations: Record<string, string> };
  /** The rasters, for figures built from them. */
  rasters: ReturnType<typeof explanationRasters>;
}

export function rasterPng(r: Raster): Buffer {
  return r.channels === 1 ? encodeGrayPng(r.data, r.width, r.height) : encodeRgbPng(r.data, r.width, r.height);
}

/** Writes `filters.png` for the model and one folder per image into `out`; returns what was written. */
export async function writeExplanations(model: Model, images: ExplainedImage[], out: string, o: ExplainOptions & { scale?: number } = {}): Promise<{ filters: string; images: WrittenExplanation[] }> {
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'filters.png'), rasterPng(filterGrid(firstLayerFilters(model))));
  const [h, w] = model.inputShape;
  const per = model.inputShape.reduce((a, b) => a * b, 1);
  const x = new Tensor(new Float32Array(images.length * per), [images.length, ...model.inputShape]);
  images.forEach((im, i) => x.data.set(im.pixels, i * per));
  const explanations = explain(model, x, o);
  const written: WrittenExplanation[] = [];
  for (const [i, im] of images.entries()) {
    const e = explanations[i];
    const dir = join(out, im.name);
    await mkdir(dir, { recursive: true });
    const rasters = explanationRasters(e, im.pixels, w, h, o.scale ?? 8);
    const files: WrittenExplanation['files'] = { input: `${im.name}/input.png`, saliency: `${im.name}/saliency.png`, gradCam: null, activations: {} };
    await writeFile(join(out, files.input), rasterPng(rasters.input));
    await writeFile(join(out, files.saliency), rasterPng(rasters.saliency));
    if (rasters.gradCam) {
      files.gradCam = `${im.name}/gradcam.png`;
      await writeFile(join(out, files.gradCam), rasterPng(rasters.gradCam));
    }
    for (const maps of convActivations(model, x.slice0(i, i + 1))) {
      const file = `${im.name}/activations-${safeName(maps.layer)}.png`;
      await writeFile(join(out, file), rasterPng(featureMapGrid(maps)));
      files.activations[maps.layer] = file;
    }
    written.push({ input: im.input, name: im.name, label: e.classIndex, top: e.top, gradCamLayer: e.gradCam?.layer ?? null, gradCamEmpty: isEmptyGradCam(e.gradCam), files, rasters });
  }
  return { filters: 'filters.png', images: written };
}

/** A layer name as a file name: letters, digits, '_', '-' and '.' kept, anything else as '_'. */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}
