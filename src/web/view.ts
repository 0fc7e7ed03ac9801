// Showing a classification: the predicted digit, ten probability bars, the 28x28 image the model saw,
// and the model's own description (size, test accuracy, link to its report).

import type { Classification } from './classifier.js';

export interface ModelInfo {
  name: string;
  totalParams: number;
  testAccuracy: number | null;
  testExamples: number | null;
  reportUrl: string | null;
  backend: string;
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

/** Builds the ten bar rows once; `showResult` then only updates widths and numbers. */
export function buildBars(): void {
  const list = $('bars');
  for (let d = 0; d < 10; d++) {
    const li = document.createElement('li');
    li.dataset.digit = String(d);
    li.innerHTML = `<span class="bar-digit">${d}</span><span class="bar-track"><span class="bar-fill"></span></span><span class="bar-pct">0%</span>`;
    list.append(li);
  }
}

export function showResult(r: Classification): void {
  const digit = $('digit');
  digit.textContent = r.label === null ? '?' : String(r.label);
  digit.dataset.label = r.label === null ? '' : String(r.label);
  const confidence = r.label === null ? 0 : r.probabilities[r.label];
  $('confidence').textContent = r.label === null ? 'Draw a digit' : `${(confidence * 100).toFixed(1)}% sure`;
  const rows = $('bars').children;
  for (let d = 0; d < 10; d++) {
    const li = rows[d] as HTMLElement;
    const p = r.probabilities[d];
    li.dataset.p = p.toFixed(6);
    li.classList.toggle('top', d === r.label);
    (li.querySelector('.bar-fill') as HTMLElement).style.width = `${(p * 100).toFixed(2)}%`;
    (li.querySelector('.bar-pct') as HTMLElement).textContent = `${(p * 100).toFixed(p >= 0.995 || p < 0.001 ? 0 : 1)}%`;
  }
  drawPreview($<HTMLCanvasElement>('preview'), r.pixels);
  const timing = $('timing');
  timing.dataset.ms = r.ms.toFixed(3);
  timing.textContent = r.empty ? '' : `${r.ms.toFixed(1)} ms to preprocess and predict, in this browser`;
}

/** The model's input as the model sees it: white ink on black, one canvas pixel per input pixel. */
function drawPreview(canvas: HTMLCanvasElement, pixels: Float32Array): void {
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(pixels[i] * 255);
    img.data[i * 4] = v;
    img.data[i * 4 + 1] = v;
    img.data[i * 4 + 2] = v;
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

export function showModel(info: ModelInfo): void {
  const acc = info.testAccuracy === null ? 'test accuracy not recorded' : `${(info.testAccuracy * 100).toFixed(2)}% test accuracy`;
  const on = info.testExamples ? ` on ${info.testExamples.toLocaleString('en-US')} MNIST test images` : '';
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
