// Showing the teach mode: the prompt, one card per sample (its 28x28 image, the model's reading, and a
// row of 0-9 buttons that relabels it with one tap), the fine-tuning's progress and result, and the
// "personal model" badge.

import type { Sample } from './teach-protocol.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

export interface SampleActions {
  relabel(index: number, label: number): void;
  remove(index: number): void;
}

/** The prompt: the digit asked for next and how many of it there are, or that every digit has enough. */
export function showPrompt(asked: number | null, have: number, per: number): void {
  const p = $('teach-prompt');
  p.dataset.asked = asked === null ? '' : String(asked);
  p.textContent = asked === null
    ? `Every digit has ${per} sample${per === 1 ? '' : 's'}: fine-tune now, or add more.`
    : `Write a ${asked} (sample ${have + 1} of ${per}), then press Add.`;
}

/** One card per sample; a reading that differs from the label is marked, and the label is one tap away. */
export function showSamples(samples: Sample[], act: SampleActions): void {
  const list = $('teach-samples');
  list.replaceChildren(...samples.map((s, i) => card(s, i, act)));
  $('teach-count').textContent = samples.length === 0 ? '' : `${samples.length} sample${samples.length === 1 ? '' : 's'}`;
}

function card(s: Sample, index: number, act: SampleActions): HTMLLIElement {
  const li = document.createElement('li');
  li.className = 'teach-sample';
  li.dataset.label = String(s.label);
  li.dataset.reading = s.reading === null ? '' : String(s.reading);
  li.classList.toggle('misread', s.reading !== s.label);
  const img = document.createElement('canvas');
  img.width = 28;
  img.height = 28;
  const ctx = img.getContext('2d')!;
  const data = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(s.pixels[i] * 255);
    data.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(data, 0, 0);
  const reading = document.createElement('span');
  reading.className = 'teach-reading';
  reading.textContent = s.reading === s.label ? `read as ${s.reading}` : `read as ${s.reading ?? '?'}, it is a ${s.label}`;
  const labels = document.createElement('div');
  labels.className = 'teach-labels';
  labels.setAttribute('role', 'group');
  labels.setAttribute('aria-label', 'What this sample is');
  for (let d = 0; d < 10; d++) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = String(d);
    b.dataset.digit = String(d);
    b.setAttribute('aria-pressed', String(d === s.label));
    b.addEventListener('click', () => act.relabel(index, d));
    labels.append(b);
  }
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.className = 'teach-remove';
  remove.textContent = '×';
  remove.title = 'Remove this sample';
  remove.addEventListener('click', () => act.remove(index));
  li.append(img, reading, remove, labels);
  return li;
}

/** The fine-tuning's progress: epochs done and seconds so far, or nothing when idle. */
export function showProgress(text: string | null): void {
  const p = $('teach-progress');
  p.hidden = text === null;
  p.textContent = text ?? '';
}

/** The result (or an error), with the figures as data attributes for anyone reading the page by script. */
export function showTeachResult(text: string, figures: Record<string, string> = {}, error = false): void {
  const r = $('teach-result');
  r.textContent = text;
  r.classList.toggle('error', error);
  for (const k of Object.keys(r.dataset)) delete r.dataset[k];
  Object.assign(r.dataset, figures);
}

/** Whether the page runs the personal model: the badge, and the buttons that only make sense with one. */
export function showPersonal(on: boolean): void {
  $('personal-badge').hidden = !on;
  $<HTMLButtonElement>('teach-reset').disabled = !on;
  $<HTMLButtonElement>('teach-download').disabled = !on;
  document.body.classList.toggle('personal', on);
}
