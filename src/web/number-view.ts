// Showing a number read from the wide pad or a photo: the number itself, a box over each digit found with
// its reading, and the list of digits with their confidence (each item carries its label, confidence and
// box as data attributes, in the read image's pixels). Boxes are placed in percent of the image read, so
// they sit on the digits at any on-screen size.

import type { NumberReading } from '../read/read-number.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

/**
 * Shows a reading of a width x height image that took `ms`; `input` counts the changes to the pad or photo
 * up to the one read (the stage carries the count of all of them, so one can tell a reading is current).
 */
export function showNumber(r: NumberReading, width: number, height: number, input: number, ms: number): void {
  const out = $('number-read');
  out.textContent = r.number === '' ? '–' : r.number;
  out.dataset.number = r.number;
  out.dataset.input = String(input);
  out.dataset.ms = ms.toFixed(2);
  out.dataset.size = `${width}x${height}`;
  const boxes = $('number-boxes');
  const list = $('number-digits');
  boxes.replaceChildren();
  list.replaceChildren();
  for (const d of r.digits) {
    const box = document.createElement('div');
    box.className = 'digit-box';
    box.style.left = `${(100 * d.box.x) / width}%`;
    box.style.top = `${(100 * d.box.y) / height}%`;
    box.style.width = `${(100 * d.box.width) / width}%`;
    box.style.height = `${(100 * d.box.height) / height}%`;
    box.classList.toggle('unsure', d.confidence < 0.8);
    const label = document.createElement('span');
    label.textContent = String(d.label);
    box.append(label);
    boxes.append(box);
    const li = document.createElement('li');
    li.dataset.label = String(d.label);
    li.dataset.confidence = d.confidence.toFixed(6);
    li.dataset.box = [d.box.x, d.box.y, d.box.width, d.box.height].join(',');
    li.textContent = `${d.label} · ${(d.confidence * 100).toFixed(1)}%`;
    list.append(li);
  }
}

/** Switches the stage between the pad and a photo. */
export function showStage(mode: 'pad' | 'photo'): void {
  $('number-pad').hidden = mode !== 'pad';
  $('photo-view').hidden = mode !== 'photo';
  $('number-stage').dataset.mode = mode;
}

export function showNumberStatus(text: string, isError = false): void {
  const s = $('number-status');
  s.textContent = text;
  s.classList.toggle('error', isError);
}
