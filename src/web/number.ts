// The number panel: a wide pad where a whole number is written and read while it is written, and photos
// of numbers on paper (taken with the phone's camera, chosen, or dropped onto the panel) read in the page
// by the same readNumber as `digitnet read` and /api/read, with the model the page already runs: no
// round trip to the server.

import { readNumber, type DigitModel } from '../read/read-number.js';
import { showNumber, showNumberStatus, showStage } from './number-view.js';
import { DrawingPad } from './pad.js';

/** The pad is read at this height whatever the screen; its width follows the pad's shape. */
const READ_HEIGHT = 280;
/** Photos are drawn at most this many pixels on their longer side before they are read. */
const PHOTO_SIDE = 1600;
/**
 * While writing, the pad is read at most once per READ_EVERY_MS, and never sooner after a reading than
 * twice the time it took: a reading runs the model once per candidate, and drawing must stay fluid.
 */
const READ_EVERY_MS = 80;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

export class NumberPanel {
  private model: DigitModel | null = null;
  private readonly pad: DrawingPad;
  private readonly input = document.createElement('canvas');
  private readonly inputCtx = this.input.getContext('2d', { willReadFrequently: true })!;
  private readonly photo = $<HTMLCanvasElement>('photo-view');
  private mode: 'pad' | 'photo' = 'pad';
  private pending = 0;
  private lastRead = 0;
  private lastCost = 0;
  /** Changes to what is shown (strokes, undo, clear, a photo), counted. */
  private inputs = 0;

  constructor() {
    this.pad = new DrawingPad($('number-pad'), () => this.padChanged());
    $('number-undo').addEventListener('click', () => this.pad.undo());
    $('number-clear').addEventListener('click', () => this.clear());
    const picker = $<HTMLInputElement>('number-photo');
    picker.addEventListener('change', () => {
      const file = picker.files?.[0];
      picker.value = '';
      if (file) void this.readPhoto(file);
    });
    this.acceptDrops($('number-stage'));
    this.padChanged();
  }

  /** The model is loaded: read what is there. */
  setModel(model: DigitModel): void {
    this.model = model;
    if (this.mode === 'pad') this.schedule();
    else this.readPhotoCanvas();
  }

  private clear(): void {
    this.mode = 'pad';
    showStage('pad');
    showNumberStatus('');
    this.pad.clear();
  }

  private padChanged(): void {
    $('number-stage').dataset.inputs = String(++this.inputs);
    $<HTMLButtonElement>('number-undo').disabled = this.mode !== 'pad' || !this.pad.canUndo;
    $<HTMLButtonElement>('number-clear').disabled = this.mode === 'pad' && this.pad.isEmpty;
    $('number-stage').classList.toggle('has-ink', this.mode === 'photo' || !this.pad.isEmpty);
    if (this.mode === 'pad') this.schedule();
  }

  /** One reading per animation frame at most, and no closer than READ_EVERY_MS to the last one. */
  private schedule(): void {
    if (this.pending) return;
    const wait = Math.max(0, this.lastRead + Math.max(READ_EVERY_MS, 2 * this.lastCost) - performance.now());
    this.pending = window.setTimeout(() => requestAnimationFrame(() => this.readPad()), wait);
  }

  private readPad(): void {
    this.pending = 0;
    if (!this.model || this.mode !== 'pad') return;
    const height = READ_HEIGHT;
    const width = Math.max(height, Math.round(height * this.pad.aspect));
    if (this.input.width !== width || this.input.height !== height) {
      this.input.width = width;
      this.input.height = height;
    }
    const input = this.inputs;
    this.pad.renderTo(this.inputCtx, width, height);
    this.read(this.inputCtx.getImageData(0, 0, width, height), input);
  }

  private read(img: ImageData, input: number): void {
    const t0 = performance.now();
    const r = readNumber({ data: img.data, width: img.width, height: img.height, channels: 4 }, this.model!);
    this.lastRead = performance.now();
    this.lastCost = this.lastRead - t0;
    showNumber(r, img.width, img.height, input, this.lastCost);
    if (this.mode === 'photo') showNumberStatus(r.number === '' ? 'No digits found in this photo.' : '');
  }

  /** Decodes the file (the browser does), draws it at most PHOTO_SIDE across, shows it and reads it. */
  private async readPhoto(file: File): Promise<void> {
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch {
      showNumberStatus(`${file.name}: this file could not be read as an image (PNG, JPEG, WebP or GIF).`, true);
      return;
    }
    const scale = Math.min(1, PHOTO_SIDE / Math.max(bitmap.width, bitmap.height));
    this.photo.width = Math.max(1, Math.round(bitmap.width * scale));
    this.photo.height = Math.max(1, Math.round(bitmap.height * scale));
    const ctx = this.photo.getContext('2d', { willReadFrequently: true })!;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, this.photo.width, this.photo.height);
    bitmap.close();
    this.mode = 'photo';
    showStage('photo');
    this.padChanged();
    showNumberStatus(this.model ? '' : 'The photo will be read as soon as the model has loaded.');
    this.readPhotoCanvas();
  }

  private readPhotoCanvas(): void {
    if (!this.model || this.mode !== 'photo') return;
    const ctx = this.photo.getContext('2d', { willReadFrequently: true })!;
    this.read(ctx.getImageData(0, 0, this.photo.width, this.photo.height), this.inputs);
  }

  /** A photo dropped onto the stage is read like a chosen one; the page does not navigate to it. */
  private acceptDrops(stage: HTMLElement): void {
    const over = (e: DragEvent): void => {
      e.preventDefault();
      stage.classList.add('dropping');
    };
    stage.addEventListener('dragenter', over);
    stage.addEventListener('dragover', over);
    stage.addEventListener('dragleave', () => stage.classList.remove('dropping'));
    stage.addEventListener('drop', (e) => {
      e.preventDefault();
      stage.classList.remove('dropping');
      const file = e.dataTransfer?.files?.[0];
      if (file) void this.readPhoto(file);
      else showNumberStatus('Drop an image file (PNG, JPEG, WebP or GIF) to read the number in it.', true);
    });
  }
}
