// The drawing pad: strokes from mouse, touch and pen (pointer events), an optional uploaded image under
// them, undo and clear. Everything drawn is kept as vector actions in coordinates relative to the pad
// (0..1 across and down), so the pad renders at any screen size and density, and the model's input is
// rendered from the same actions onto a fixed-size canvas, independent of the device. The pad takes the
// shape its canvas has on screen: square for one digit, wide for a whole number.

export type Point = [x: number, y: number];

interface Stroke {
  kind: 'stroke';
  points: Point[];
}

interface Picture {
  kind: 'image';
  source: CanvasImageSource;
  width: number;
  height: number;
  /** The image's own background colour, used around it so that it reads as one sheet of paper. */
  background: string;
  /** Ink that stands out on that background. */
  ink: string;
}

type Action = Stroke | Picture;

/** Stroke width as a fraction of the pad's shorter side: the usual MNIST demo stroke (20 px on 240 px). */
export const STROKE_WIDTH = 1 / 12;
const PAPER = '#ffffff';
const INK = '#111111';

export class DrawingPad {
  private readonly actions: Action[] = [];
  private active: { id: number; stroke: Stroke } | null = null;
  private readonly ctx: CanvasRenderingContext2D;

  /** `onChange` runs after every change to the drawing (a new point, undo, clear, upload). */
  constructor(private readonly canvas: HTMLCanvasElement, private readonly onChange: () => void) {
    this.ctx = canvas.getContext('2d')!;
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('pointercancel', (e) => this.up(e));
    new ResizeObserver(() => this.fitToScreen()).observe(canvas);
    this.fitToScreen();
  }

  get isEmpty(): boolean {
    return this.actions.length === 0;
  }

  get canUndo(): boolean {
    return this.actions.length > 0;
  }

  undo(): void {
    this.active = null;
    this.actions.pop();
    this.changed();
  }

  clear(): void {
    this.active = null;
    this.actions.length = 0;
    this.changed();
  }

  /** Puts an image (a photo or scan of a digit) on the pad, replacing what was there. */
  setImage(source: CanvasImageSource, width: number, height: number): void {
    const background = borderColour(source, width, height);
    const ink = luminance(background) < 128 ? '#ffffff' : INK;
    this.actions.length = 0;
    this.actions.push({ kind: 'image', source, width, height, background, ink });
    this.changed();
  }

  /** The pad's width over its height, as it is on screen. */
  get aspect(): number {
    return this.canvas.clientHeight > 0 ? this.canvas.clientWidth / this.canvas.clientHeight : 1;
  }

  /** Renders the drawing onto any 2D context of a `width` x `height` rectangle (a square by default). */
  renderTo(ctx: CanvasRenderingContext2D, width: number, height = width): void {
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = PAPER;
    ctx.fillRect(0, 0, width, height);
    let ink = INK;
    for (const a of this.actions) {
      if (a.kind === 'image') {
        drawPicture(ctx, a, width, height);
        ink = a.ink;
      } else {
        drawStroke(ctx, a.points, width, height, ink);
      }
    }
    ctx.restore();
  }

  private changed(): void {
    this.renderTo(this.ctx, this.canvas.width, this.canvas.height);
    this.onChange();
  }

  /** Matches the canvas's pixels to its on-screen size and density, then redraws. */
  private fitToScreen(): void {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    const h = Math.max(1, Math.round((this.canvas.clientHeight || this.canvas.clientWidth) * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    this.renderTo(this.ctx, w, h);
  }

  private point(e: PointerEvent): Point {
    const r = this.canvas.getBoundingClientRect();
    return [(e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height];
  }

  private down(e: PointerEvent): void {
    if (this.active || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    const stroke: Stroke = { kind: 'stroke', points: [this.point(e)] };
    this.active = { id: e.pointerId, stroke };
    this.actions.push(stroke);
    this.changed();
  }

  private move(e: PointerEvent): void {
    if (!this.active || e.pointerId !== this.active.id) return;
    e.preventDefault();
    // Coalesced events carry every sample since the last frame: smooth curves from fast pens and mice.
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    const pts = this.active.stroke.points;
    for (const ev of events.length > 0 ? events : [e]) pts.push(this.point(ev));
    this.changed();
  }

  private up(e: PointerEvent): void {
    if (!this.active || e.pointerId !== this.active.id) return;
    this.active = null;
    this.onChange();
  }
}

function drawStroke(ctx: CanvasRenderingContext2D, points: Point[], width: number, height: number, ink: string): void {
  ctx.strokeStyle = ink;
  ctx.fillStyle = ink;
  ctx.lineWidth = STROKE_WIDTH * Math.min(width, height);
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  if (points.length === 1) {
    ctx.beginPath();
    ctx.arc(points[0][0] * width, points[0][1] * height, ctx.lineWidth / 2, 0, Math.PI * 2);
    ctx.fill();
    return;
  }
  ctx.beginPath();
  ctx.moveTo(points[0][0] * width, points[0][1] * height);
  for (let i = 1; i < points.length; i++) ctx.lineTo(points[i][0] * width, points[i][1] * height);
  ctx.stroke();
}

/** The picture scaled to fit the pad, centred, on its own background colour. */
function drawPicture(ctx: CanvasRenderingContext2D, p: Picture, width: number, height: number): void {
  ctx.fillStyle = p.background;
  ctx.fillRect(0, 0, width, height);
  const scale = Math.min(width / p.width, height / p.height);
  const w = p.width * scale;
  const h = p.height * scale;
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(p.source, (width - w) / 2, (height - h) / 2, w, h);
}

/** Mean colour of the image's outermost pixels (where paper usually is), as a CSS colour. */
function borderColour(source: CanvasImageSource, width: number, height: number): string {
  const n = 32;
  const c = document.createElement('canvas');
  c.width = n;
  c.height = n;
  const ctx = c.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(source, 0, 0, width, height, 0, 0, n, n);
  const d = ctx.getImageData(0, 0, n, n).data;
  const sum = [0, 0, 0];
  let count = 0;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      if (x !== 0 && y !== 0 && x !== n - 1 && y !== n - 1) continue;
      for (let k = 0; k < 3; k++) sum[k] += d[(y * n + x) * 4 + k];
      count++;
    }
  }
  const [r, g, b] = sum.map((s) => Math.round(s / count));
  return `rgb(${r}, ${g}, ${b})`;
}

function luminance(css: string): number {
  const [r, g, b] = (css.match(/\d+/g) ?? ['255', '255', '255']).map(Number);
  return 0.299 * r + 0.587 * g + 0.114 * b;
}
