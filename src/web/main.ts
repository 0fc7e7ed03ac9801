// The page's entry point: wires the drawing pad, the upload button, the number panel and the in-page
// model together, and the teach mode, which may replace that model with the user's personal one. Each change to the drawing schedules one prediction for the next animation frame, so a
// burst of pointer events costs one inference per frame.

import { chooseBackend } from './backend.js';
import type { Model } from '../engine/graph/model.js';
import { Classifier } from './classifier.js';
import { NumberPanel } from './number.js';
import { DrawingPad } from './pad.js';
import { showSaliency } from './saliency-view.js';
import { namesAreIndices, type InputSpec } from '../data/model-input.js';
import { TeachPanel } from './teach.js';
import { buildBars, describeClasses, showModel, showResult, showStatus, type ModelInfo } from './view.js';

/** The model's input is rendered at this fixed size, whatever the screen: the same pixels on every device. */
const INPUT_SIZE = 280;

const input = document.createElement('canvas');
input.width = INPUT_SIZE;
input.height = INPUT_SIZE;
const inputCtx = input.getContext('2d', { willReadFrequently: true })!;

let classifier: Classifier | null = null;
let frame = 0;

const pad = new DrawingPad(document.getElementById('pad') as HTMLCanvasElement, schedule);
const numberPanel = new NumberPanel();
const undoButton = document.getElementById('undo') as HTMLButtonElement;
const clearButton = document.getElementById('clear') as HTMLButtonElement;
const upload = document.getElementById('upload') as HTMLInputElement;

function schedule(): void {
  undoButton.disabled = !pad.canUndo;
  clearButton.disabled = pad.isEmpty;
  document.body.classList.toggle('has-ink', !pad.isEmpty);
  if (!frame) frame = requestAnimationFrame(classifyNow);
}

function classifyNow(): void {
  frame = 0;
  if (!classifier) return;
  pad.renderTo(inputCtx, INPUT_SIZE);
  const result = classifier.classify(inputCtx.getImageData(0, 0, INPUT_SIZE, INPUT_SIZE));
  showResult(result, classifier.spec);
  showSaliency(classifier.model, result);
}

async function onUpload(): Promise<void> {
  const file = upload.files?.[0];
  upload.value = '';
  if (!file) return;
  try {
    const bitmap = await createImageBitmap(file);
    pad.setImage(bitmap, bitmap.width, bitmap.height);
    showStatus('');
  } catch {
    showStatus(`${file.name}: this file could not be read as an image (PNG, JPEG, WebP or GIF).`, true);
  }
}

/** Runs `model` for every reading on the page from now on (the original or the personal model). */
function useModel(model: Model): void {
  classifier = Classifier.of(model, classifier!.spec);
  numberPanel.setModel(model);
  schedule();
}

function isDigitModel(spec: InputSpec): boolean {
  return spec.preprocess === 'mnist' && spec.classNames.length === 10 && namesAreIndices(spec.classNames);
}

async function start(): Promise<void> {
  buildBars();
  undoButton.addEventListener('click', () => pad.undo());
  clearButton.addEventListener('click', () => pad.clear());
  upload.addEventListener('change', () => void onUpload());
  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'z') {
      e.preventDefault();
      pad.undo();
    } else if (e.key === 'Escape') {
      pad.clear();
    }
  });
  schedule();
  fetch('api/model')
    .then((r) => (r.ok ? (r.json() as Promise<ModelInfo>) : Promise.reject(new Error(`${r.status}`))))
    .then(showModel)
    .catch(() => undefined); // the description is extra: the page works without it
  try {
    const { backend, label } = await chooseBackend();
    const shown = document.getElementById('backend') as HTMLElement;
    shown.textContent = `Runs in this browser on the ${label}.`;
    shown.dataset.backend = backend.name;
    classifier = await Classifier.load('model/');
    const original = classifier.model;
    // Teach mode asks for the digits 0-9: it is offered for digit models only (not a letters model).
    if (isDigitModel(classifier.spec)) {
      const teach = new TeachPanel(original, (m) => useModel(m ?? original), (img) => classifier!.classify(img));
      await teach.restore();
    } else document.querySelector<HTMLElement>('.teach-panel')!.hidden = true;
    numberPanel.setModel(classifier.model);
    buildBars(classifier.spec.classNames);
    describeClasses(classifier.spec);
    showStatus('');
    document.body.classList.add('ready');
    schedule();
  } catch (e) {
    showStatus(`The model could not be loaded: ${(e as Error).message}`, true);
  }
}

void start();
