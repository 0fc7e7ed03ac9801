// Showing a classification: the predicted class (a digit, or the class's name for another model), one
// probability bar per class, the image the model saw, and the model's own description (size, test
// accuracy, link to its report).

import type { InputSpec } from '../data/model-input.js';
import type { Classification } from './classifier.js';

export interface ModelInfo {
  name: string;
  totalParams: number;
  testAccuracy: number | null;
  testExamples: number | null;
  reportUrl: string | null;
  backend: string;
  classNames?: string[];
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const DIGITS = Array.from({ length: 10 }, (_, i) => String(i));
let named = false;

/** Builds one bar row per class (the ten digits until the model says otherwise); `showResult` then only updates them. */
export function buildBars(classNames: string[] = DIGITS): void {
  const list = $('bars');
  list.replaceChildren();
  named = classNames.some((n, i) => n !== String(i));
  list.classList.toggle('named', named);
  classNames.forEach((name, d) => {
    const li = document.createElement('li');
    li.dataset.digit = String(d);
    li.dataset.className = name;
    li.innerHTML = '<span class="bar-digit"></span><span class="bar-track"><span class="bar-fill"></span></span><span class="bar-pct">0%</span>';
    (li.querySelector('.bar-digit') as HTMLElement).textContent = name;
    list.append(li);
  });
}

/** The page's words for the model's classes: digits, or the names its model.json gives. */
export function describeClasses(spec: InputSpec): void {
  if (!named) return;
  const n = spec.classNames;
  const list = n.length > 8 ? `${n.slice(0, 6).join(', ')}, … ${n[n.length - 1]}` : n.join(', ');
  $('lede').textContent = `Draw one of ${n.length} classes (${list}). A convolutional network reads it as you draw, here in your browser.`;
  $('preview-caption').textContent = spec.preprocess === 'mnist'
    ? 'What the model sees: 28x28 pixels, cropped to the ink, scaled to 20x20 and centred, as in MNIST.'
    : `What the model sees: the drawing resized to ${spec.height}x${spec.width}${spec.channels === 3 ? ', in colour' : ''}.`;
}

export function showResult(r: Classification, spec?: InputSpec): void {
  const digit = $('digit');
  digit.textContent = r.label === null ? '?' : r.className ?? String(r.label);
  digit.dataset.label = r.label === null ? '' : String(r.label);
  digit.dataset.className = r.className ?? '';
  digit.classList.toggle('long', (r.className ?? '').length > 3);
  const confidence = r.label === null ? 0 : r.probabilities[r.label];
  $('confidence').textContent = r.label === null ? (named ? 'Draw something' : 'Draw a digit') : `${(confidence * 100).toFixed(1)}% sure`;
  const rows = $('bars').children;
  for (let d = 0; d < rows.length; d++) {
    const li = rows[d] as HTMLElement;
    const p = r.probabilities[d];
    li.dataset.p = p.toFixed(6);
    li.classList.toggle('top', d === r.label);
    (li.querySelector('.bar-fill') as HTMLElement).style.width = `${(p * 100).toFixed(2)}%`;
    (li.querySelector('.bar-pct') as HTMLElement).textContent = `${(p * 100).toFixed(p >= 0.995 || p < 0.001 ? 0 : 1)}%`;
  }
  drawPreview($<HTMLCanvasElement>('preview'), r.pixels, spec ?? { height: 28, width: 28, channels: 1 });
  const timing = $('timing');
  timing.dataset.ms = r.ms.toFixed(3);
  timing.textContent = r.empty ? '' : `${r.ms.toFixed(1)} ms to preprocess and predict, in this browser`;
}

/** The model's input as the model sees it (a digit: white ink on black), one canvas pixel per input pixel. */
function drawPreview(canvas: HTMLCanvasElement, pixels: Float32Array, s: { height: number; width: number; channels: number }): void {
  if (canvas.width !== s.width || canvas.height !== s.height) [canvas.width, canvas.height] = [s.width, s.height];
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(s.width, s.height);
  for (let i = 0; i < s.width * s.height; i++) {
    for (let c = 0; c < 3; c++) img.data[i * 4 + c] = Math.round(pixels[i * s.channels + (s.channels === 3 ? c : 0)] * 255);
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

export function showModel(info: ModelInfo): void {
  const acc = info.testAccuracy === null ? 'test accuracy not recorded' : `${(info.testAccuracy * 100).toFixed(2)}% test accuracy`;
  const digits = !info.classNames || info.classNames.every((n, i) => n === String(i));
  const on = info.testExamples ? ` on ${info.testExamples.toLocaleString('en-US')} ${digits ? 'MNIST ' : ''}test images` : '';
  $('model-info').textContent = `Model: ${info.name}, ${info.totalParams.toLocaleString('en-US')} parameters, ${acc}${on}.`;
  const link = $<HTMLAnchorElement>('report-link');
  if (info.reportUrl) {
    link.href = info.reportUrl;
    link.hidden = false;
  }
}

export function showStatus(text: string, isError = false): void {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('error', isError);
  s.hidden = text === '';
}
