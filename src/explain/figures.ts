// The pictures of an explanation as rasters: the image, its saliency (its colour scale topped at the 99th
// percentile) and its Grad-CAM (blended over the image),
// a grid of a layer's feature maps (each channel scaled to its own range, so a weak channel still shows its
// pattern), and a grid of the first layer's filters (grey 128 is zero; one scale for every filter, so their
// strengths compare). Browser-safe.

import type { Explanation } from './explain.js';
import type { FeatureMaps, Filters } from './features.js';
import { displayMax, enlarge, greyRaster, heatRaster, tileGrid, type Raster } from './render.js';

export const FILTER_COLUMNS = 8;
export const MAP_COLUMNS = 8;
export const GRID_GAP = 2;

/** The image (h × w, 0..1), its saliency and its Grad-CAM over it, each enlarged `scale` times. */
export function explanationRasters(e: Explanation, image: Float32Array, width: number, height: number, scale = 8): { input: Raster; saliency: Raster; gradCam: Raster | null } {
  const grey = image.length === width * height ? image : meanOverChannels(image, image.length / (width * height));
  return {
    input: enlarge(greyRaster(grey, width, height, 0, 1), scale),
    saliency: enlarge(heatRaster(e.saliency, width, height, { max: displayMax(e.saliency) }), scale),
    gradCam: e.gradCam ? enlarge(heatRaster(e.gradCam.heatmap, width, height, { under: grey }), scale) : null,
  };
}

/** One tile per channel, in MAP_COLUMNS columns. */
export function featureMapGrid(m: FeatureMaps, scale = 4): Raster {
  const tiles: Raster[] = [];
  const plane = new Float32Array(m.height * m.width);
  for (let c = 0; c < m.channels; c++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let p = 0; p < plane.length; p++) {
      plane[p] = m.data[p * m.channels + c];
      lo = Math.min(lo, plane[p]);
      hi = Math.max(hi, plane[p]);
    }
    tiles.push(enlarge(greyRaster(plane, m.width, m.height, lo, hi), scale));
  }
  return tileGrid(tiles, MAP_COLUMNS, GRID_GAP);
}

/** One tile per filter (averaged over input channels when there are several), in FILTER_COLUMNS columns. */
export function filterGrid(f: Filters, scale = 8): Raster {
  const planes = f.kernels.map((k) => meanOverChannels(k, f.inChannels));
  let max = 0;
  for (const p of planes) for (const v of p) max = Math.max(max, Math.abs(v));
  const tiles = planes.map((p) => enlarge(greyRaster(p, f.kernelWidth, f.kernelHeight, -max, max), scale));
  return tileGrid(tiles, FILTER_COLUMNS, GRID_GAP);
}

function meanOverChannels(v: Float32Array, channels: number): Float32Array {
  if (channels === 1) return v;
  const out = new Float32Array(v.length / channels);
  for (let p = 0; p < out.length; p++) {
    let s = 0;
    for (let c = 0; c < channels; c++) s += v[p * channels + c];
    out[p] = s / channels;
  }
  return out;
}
