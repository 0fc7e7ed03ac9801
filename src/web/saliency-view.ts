// The page's saliency view: where the model looks, for the digit being drawn. Beside the prediction, the
// saliency of the predicted class over the 28x28 image the model sees (|∂ logit / ∂ pixel|, as heat),
// recomputed as the drawing changes. Self-contained: it builds its own element (its style is in style.css: the
// page's Content-Security-Policy allows no inline style), and the page calls
// showSaliency(model, classification) after each prediction. The gradient pass costs two to three
// predictions, so it runs after the frame that showed the prediction, for the latest drawing only, and leaves
// the page at least three times its own cost (50 ms at least) between two runs: the pen stays smooth while
// the view keeps up, and the last drawing is always explained.

import type { Model } from '../engine/graph/model.js';
import { Tensor } from '../engine/tensor.js';
import { explain } from '../explain/explain.js';
import { displayMax, heatRaster } from '../explain/render.js';
import type { Classification } from './classifier.js';

interface View {
  figure: HTMLElement;
  canvas: HTMLCanvasElement;
  caption: HTMLElement;
}

let view: View | null = null;
let latest: { model: Model; r: Classification } | null = null;
let timer = 0;
/** When the last run ended, and what it cost (ms). */
let lastEnd = -Infinity;
let lastCost = 0;
const MIN_GAP_MS = 50;

/** Shows the saliency for this classification (soon: after the current frame). */
export function showSaliency(model: Model, r: Classification): void {
  view ??= build();
  latest = { model, r };
  view.figure.dataset.pending = 'true';
  if (!timer) timer = window.setTimeout(update, Math.max(0, lastEnd + Math.max(MIN_GAP_MS, 3 * lastCost) - performance.now()));
}

function build(): View {
  const figure = document.createElement('figure');
  figure.className = 'saliency-view';
  figure.id = 'saliency-view';
  const canvas = document.createElement('canvas');
  canvas.width = 28;
  canvas.height = 28;
  canvas.setAttribute('aria-label', 'Where the model looks: the saliency of the predicted digit over the image it sees');
  const caption = document.createElement('figcaption');
  figure.append(canvas, caption);
  // Beside the prediction: right after the answer block, above the bars.
  const anchor = document.querySelector('.answer') ?? document.body.lastElementChild!;
  anchor.after(figure);
  return { figure, canvas, caption };
}

function update(): void {
  timer = 0;
  const v = view!;
  const { model, r } = latest!;
  const ctx = v.canvas.getContext('2d')!;
  const [h, w] = model.inputShape;
  if (v.canvas.width !== w || v.canvas.height !== h) [v.canvas.width, v.canvas.height] = [w, h];
  if (r.empty || r.label === null) {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, w, h);
    v.caption.textContent = 'Where the model looks shows here once you draw.';
    Object.assign(v.figure.dataset, { pending: 'false', label: '', saliency: '', ms: '' });
    return;
  }
  const t0 = performance.now();
  const [e] = explain(model, new Tensor(r.pixels, [1, ...model.inputShape]), { classIndex: r.label, layer: null });
  const ms = performance.now() - t0;
  [lastEnd, lastCost] = [performance.now(), ms];
  draw(ctx, heatRaster(e.saliency, w, h, { max: displayMax(e.saliency) }).data, w, h);
  let max = 0;
  for (const s of e.saliency) max = Math.max(max, s);
  v.caption.textContent = `Where the model looks: the pixels that most change its score for ${r.className ?? r.label} (saliency, ${ms.toFixed(1)} ms).`;
  Object.assign(v.figure.dataset, {
    pending: 'false',
    label: String(r.label),
    ms: ms.toFixed(3),
    // The map divided by its maximum, for anyone reading the page (and its tests).
    saliency: Array.from(e.saliency, (s) => (max > 0 ? s / max : 0).toFixed(4)).join(','),
  });
}

function draw(ctx: CanvasRenderingContext2D, rgb: Uint8Array, w: number, h: number): void {
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) img.data.set([rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2], 255], i * 4);
  ctx.putImageData(img, 0, 0);
}
