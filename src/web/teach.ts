// Teach mode: the user writes each digit a few times when asked, fixes any label with one tap, and the
// page fine-tunes its model on those samples in a Web Worker (teach-worker.ts; last layers only, a few
// seconds, jittered). One sample per digit written at least twice is held out and read by the original
// and the fine-tuned model, so the before/after figures are on samples the fine-tuning never saw. The
// personal model is kept in IndexedDB and used by the whole page until it is reset; it downloads as
// model.json + weights.bin, the TF.js files `digitnet evaluate --model DIR` and tf.loadLayersModel load.

import type { Model } from '../engine/graph/model.js';
import { modelFromArtifacts, modelToArtifacts, WEIGHTS_FILE, type ModelJson } from '../engine/io/artifacts.js';
import type { Classification } from './classifier.js';
import { DrawingPad } from './pad.js';
import type { Sample, SampleSet, TeachReply, TeachRequest } from './teach-protocol.js';
import { clearPersonal, loadPersonal, savePersonal, type StoredModel } from './teach-store.js';
import { showPersonal, showProgress, showPrompt, showSamples, showTeachResult } from './teach-view.js';

/** How long the worker fine-tunes, in seconds (it stops sooner after its epoch limit). */
const SECONDS = 3;
/** The samples are rendered at this size before MNIST's preprocessing, as the main pad's are. */
const INPUT_SIZE = 280;


const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

export class TeachPanel {
  private samples: Sample[] = [];
  private readonly pad: DrawingPad;
  private readonly input = document.createElement('canvas');
  private readonly inputCtx: CanvasRenderingContext2D;
  private worker: Worker | null = null;
  private personal: StoredModel | null = null;
  private readonly base: string;

  /**
   * `original`: the served model; `use`: makes the page run a model (null: the original);
   * `classify`: the page's reading of an image with the model it runs.
   */
  constructor(private readonly original: Model, private readonly use: (m: Model | null) => void, private readonly classify: (img: ImageData) => Classification) {
    this.base = `${original.name}:${original.params.length}`;
    this.input.width = this.input.height = INPUT_SIZE;
    this.inputCtx = this.input.getContext('2d', { willReadFrequently: true })!;
    this.pad = new DrawingPad($('teach-pad'), () => this.padChanged());
    $('teach-add').addEventListener('click', () => this.add());
    $('teach-pad-clear').addEventListener('click', () => this.pad.clear());
    $('teach-per').addEventListener('change', () => this.refresh());
    $('teach-train').addEventListener('click', () => this.train());
    $('teach-reset').addEventListener('click', () => void this.reset());
    $('teach-download').addEventListener('click', () => this.download());
    this.padChanged();
    this.refresh();
  }

  /** Picks up the personal model saved on an earlier visit, when it was made from the model served now. */
  async restore(): Promise<void> {
    try {
      const stored = await loadPersonal();
      if (stored && stored.base === this.base) this.activate(stored);
      else showPersonal(false);
    } catch (e) {
      showPersonal(false);
      showTeachResult(`The saved personal model could not be read: ${(e as Error).message}`, {}, true);
    }
  }

  private get per(): number {
    return Number($<HTMLSelectElement>('teach-per').value);
  }

  private padChanged(): void {
    $('teach-stage').classList.toggle('has-ink', !this.pad.isEmpty);
    $<HTMLButtonElement>('teach-add').disabled = this.pad.isEmpty;
    $<HTMLButtonElement>('teach-pad-clear').disabled = this.pad.isEmpty;
  }

  /** The digit asked for: the smallest with fewer than `per` samples, or null when all have enough. */
  private asked(): { digit: number | null; have: number } {
    const counts = new Array<number>(10).fill(0);
    for (const s of this.samples) counts[s.label]++;
    const digit = counts.findIndex((c) => c < this.per);
    return digit < 0 ? { digit: null, have: 0 } : { digit, have: counts[digit] };
  }

  private refresh(): void {
    const { digit, have } = this.asked();
    showPrompt(digit, have, this.per);
    showSamples(this.samples, {
      relabel: (i, label) => {
        this.samples[i].label = label;
        this.refresh();
      },
      remove: (i) => {
        this.samples.splice(i, 1);
        this.refresh();
      },
    });
    $<HTMLButtonElement>('teach-train').disabled = this.worker !== null || this.samples.length < 2;
  }

  /** Adds what is on the pad as a sample of the digit asked for (of 0 once all have enough), read by the page's model. */
  private add(): void {
    if (this.pad.isEmpty) return;
    this.pad.renderTo(this.inputCtx, INPUT_SIZE);
    const r = this.classify(this.inputCtx.getImageData(0, 0, INPUT_SIZE, INPUT_SIZE));
    if (r.empty) return;
    const label = this.asked().digit ?? (r.label ?? 0);
    this.samples.push({ pixels: r.pixels, label, reading: r.label });
    this.pad.clear();
    this.refresh();
  }

  /** Holds out the last sample of each digit that has two or more; the rest is fine-tuned on. */
  private split(): { train: SampleSet; test: SampleSet } {
    const held = new Set<number>();
    for (let d = 0; d < 10; d++) {
      const of = this.samples.map((s, i) => (s.label === d ? i : -1)).filter((i) => i >= 0);
      if (of.length >= 2) held.add(of[of.length - 1]);
    }
    const set = (keep: (i: number) => boolean): SampleSet => {
      const chosen = this.samples.filter((_, i) => keep(i));
      const pixels = new Float32Array(chosen.length * 784);
      chosen.forEach((s, j) => pixels.set(s.pixels, j * 784));
      return { pixels, labels: chosen.map((s) => s.label) };
    };
    return { train: set((i) => !held.has(i)), test: set((i) => held.has(i)) };
  }

  /** Sends the original model and the samples to the worker; the page keeps running meanwhile. */
  private train(): void {
    const { train, test } = this.split();
    const { modelJson, weightData } = modelToArtifacts(this.original);
    const worker = new Worker(new URL('teach-worker.js', import.meta.url), { type: 'module' });
    this.worker = worker;
    this.refresh();
    const t0 = performance.now();
    showProgress('Fine-tuning in the background…');
    showTeachResult('');
    worker.onmessage = (e: MessageEvent<TeachReply>) => {
      const m = e.data;
      if (m.type === 'progress') {
        showProgress(`Fine-tuning in the background: epoch ${m.epoch + 1}, loss ${m.loss.toFixed(3)}, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        return;
      }
      this.finish(worker);
      if (m.type === 'error') showTeachResult(`Fine-tuning failed: ${m.message}`, {}, true);
      else void this.trained(m, train.labels.length, test.labels.length);
    };
    worker.onerror = (e) => {
      this.finish(worker);
      showTeachResult(`Fine-tuning failed: ${e.message || 'the worker did not start'}`, {}, true);
    };
    const req: TeachRequest = { modelJson, weightData, train, test, seconds: SECONDS, trainLast: 1 };
    worker.postMessage(req, [weightData, train.pixels.buffer, test.pixels.buffer]);
  }

  private finish(worker: Worker): void {
    worker.terminate();
    this.worker = null;
    showProgress(null);
    this.refresh();
  }

  private async trained(m: Extract<TeachReply, { type: 'done' }>, nTrain: number, held: number): Promise<void> {
    const measured = held === 0
      ? 'No sample was held out to measure it (write a digit at least twice for that).'
      : `On ${held} held-out sample${held === 1 ? '' : 's'} (the last of each digit written twice or more, not used for fine-tuning): ` +
        `the original model reads ${m.before} of ${held} right, the personal model ${m.after} of ${held}.`;
    const how = `Fine-tuned ${m.trained.join(', ')} (${m.trainedParams.toLocaleString('en-US')} weights) on ${nTrain} sample${nTrain === 1 ? '' : 's'}: ` +
      `${m.epochs} epochs in ${m.seconds.toFixed(1)} s on the ${m.backend.replace(/:.*/, '')}, in a Web Worker.`;
    const stored: StoredModel = { modelJson: m.modelJson, weightData: m.weightData, base: this.base, summary: `${measured} ${how}`, createdAt: new Date().toISOString() };
    this.activate(stored, {
      before: String(m.before), after: String(m.after), held: String(held), trainSamples: String(nTrain),
      epochs: String(m.epochs), seconds: m.seconds.toFixed(3), inWorker: String(m.inWorker), backend: m.backend,
    });
    try {
      await savePersonal(stored);
      $('teach-result').dataset.saved = 'true';
    } catch (e) {
      showTeachResult(`${stored.summary} It could not be saved in this browser: ${(e as Error).message}`, {}, true);
    }
  }

  private activate(stored: StoredModel, figures: Record<string, string> = {}): void {
    this.personal = stored;
    this.use(modelFromArtifacts(stored.modelJson, stored.weightData, 'the personal model'));
    showPersonal(true);
    showTeachResult(stored.summary, figures);
  }

  /** Back to the original model: the saved personal model is deleted. */
  private async reset(): Promise<void> {
    this.personal = null;
    this.use(null);
    showPersonal(false);
    try {
      await clearPersonal();
      showTeachResult('The page runs the original model again; the personal model was deleted from this browser.', { reset: 'true' });
    } catch (e) {
      showTeachResult(`The personal model could not be deleted: ${(e as Error).message}`, {}, true);
    }
  }

  /** model.json and weights.bin, the TF.js Layers files, as two downloads. */
  private download(): void {
    if (!this.personal) return;
    const json: ModelJson = this.personal.modelJson;
    save(new Blob([JSON.stringify(json)], { type: 'application/json' }), 'model.json');
    save(new Blob([this.personal.weightData], { type: 'application/octet-stream' }), WEIGHTS_FILE);
  }
}

function save(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
