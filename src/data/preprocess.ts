// Any image of a digit to MNIST's form, the way MNIST itself was made: grayscale, white ink on black,
// cropped to the ink, scaled so its longer side is 20 px (keeping the aspect ratio, with area-averaging so
// edges keep their grey levels), pasted into 28x28 and moved so the centre of mass sits at pixel (14, 14).
// Used by `digitnet predict` for files, by the web page for canvas drawings and by the number reader
// (src/read) for each digit it finds, so it is browser-safe: no Node APIs, only typed arrays.

export interface RawImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  /** 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA; interleaved, row-major. */
  channels: 1 | 2 | 3 | 4;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface MnistForm {
  /** 784 values 0..1, row-major 28x28, white ink on black. */
  pixels: Float32Array;
  /** True when no ink stands out from the background (the pixels are then all 0). */
  empty: boolean;
  /** The ink's bounding box in the source image (all zero when empty). */
  box: Box;
}

export interface ToMnistOptions {
  /** 'auto' (default): invert when the border is light, i.e. dark ink on a light background. */
  invert?: 'auto' | boolean;
}

export const SIDE = 28;
/** MNIST's digits fit a 20x20 box inside the 28x28 frame. */
export const FIT = 20;
/** MNIST's centre of mass, in pixel indices (measured: the test set averages 14.00, 13.99). */
export const CENTRE = 14;
/** Ink fainter than this (out of 255, after removing the background) is noise: it does not widen the crop. */
export const NOISE_LEVEL = 26;
/** An image whose ink rises less than this above its background holds no digit. */
const MIN_CONTRAST = 32;

export function toMnist(img: RawImage, o: ToMnistOptions = {}): MnistForm {
  checkImage(img);
  return inkToMnist(inkLevels(img, o.invert ?? 'auto'), img.width, img.height);
}

/**
 * The second half of `toMnist`, for ink that has already been separated from its background: `ink` is a
 * width x height map, 0 (no ink) to 255 (full ink). The strongest ink is stretched to 255, as in MNIST;
 * then the map is cropped to the ink, fitted to 20x20 and centred by mass. The number reader calls it with
 * each digit it cut out of an image.
 */
export function inkToMnist(ink: Float32Array, width: number, height: number): MnistForm {
  const box = inkBox(stretchToFull(ink), width, height);
  if (!box) return { pixels: new Float32Array(SIDE * SIDE), empty: true, box: { x: 0, y: 0, width: 0, height: 0 } };
  const scale = FIT / Math.max(box.width, box.height);
  const w = Math.max(1, Math.round(box.width * scale));
  const h = Math.max(1, Math.round(box.height * scale));
  const small = resizeArea(crop(ink, width, box), box.width, box.height, w, h);
  return { pixels: centreByMass(small, w, h), empty: false, box };
}

/** Scales the map in place so its strongest ink is 255 (a no-op for maps that already reach it). */
function stretchToFull(ink: Float32Array): Float32Array {
  let peak = 0;
  for (const v of ink) if (v > peak) peak = v;
  if (peak > 0 && peak < 255) for (let i = 0; i < ink.length; i++) ink[i] = (ink[i] * 255) / peak;
  return ink;
}

/** Throws, naming `op`, unless the image's size, channels and data length agree. */
export function checkImage(img: RawImage, op = 'toMnist'): void {
  const { width, height, channels, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`${op}: image size ${width}x${height} is not a positive whole size`);
  }
  if (![1, 2, 3, 4].includes(channels)) throw new Error(`${op}: channels must be 1, 2, 3 or 4, got ${channels}`);
  if (data.length !== width * height * channels) {
    throw new Error(`${op}: a ${width}x${height} image with ${channels} channels needs ${width * height * channels} values, got ${data.length}`);
  }
}

/** Gray levels 0..255 (transparent parts composited onto white, as a drawing on a page). */
export function grayscale(img: RawImage): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = grayAt(img, i);
  return out;
}

/**
 * Gray levels of the image shrunk by a whole `factor`: each output pixel is the mean of a factor x factor
 * block (partial blocks at the right and bottom edges average what they hold). A 40-megapixel photo so
 * becomes a small working image without ever holding a full-size gray copy.
 */
export function grayscaleShrunk(img: RawImage, factor: number): { gray: Float32Array; width: number; height: number } {
  if (!Number.isInteger(factor) || factor < 1) throw new Error(`grayscaleShrunk: factor must be a whole number >= 1, got ${factor}`);
  if (factor === 1) return { gray: grayscale(img), width: img.width, height: img.height };
  const width = Math.ceil(img.width / factor);
  const height = Math.ceil(img.height / factor);
  const gray = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = y * factor;
    const ey = Math.min(img.height, sy + factor);
    for (let x = 0; x < width; x++) {
      const sx = x * factor;
      const ex = Math.min(img.width, sx + factor);
      let s = 0;
      for (let yy = sy; yy < ey; yy++) for (let xx = sx; xx < ex; xx++) s += grayAt(img, yy * img.width + xx);
      gray[y * width + x] = s / ((ey - sy) * (ex - sx));
    }
  }
  return { gray, width, height };
}

/** The gray level of pixel `i` (BT.601 luma; alpha composites onto white). */
function grayAt(img: RawImage, i: number): number {
  const { data, channels } = img;
  const p = i * channels;
  let g = channels >= 3 ? 0.299 * data[p] + 0.587 * data[p + 1] + 0.114 * data[p + 2] : data[p];
  if (channels === 2 || channels === 4) {
    const a = data[p + channels - 1] / 255;
    g = g * a + 255 * (1 - a);
  }
  return g;
}

/**
 * Ink per pixel, 0 (background) to 255 (full ink): inverted when the background is light, the background's
 * level removed (paper in a photo is not pure white) and stretched so the darkest stroke is full ink.
 */
function inkLevels(img: RawImage, invert: 'auto' | boolean): Float32Array {
  const gray = grayscale(img);
  const border = borderValues(gray, img.width, img.height);
  const flip = invert === 'auto' ? mean(border) > 127.5 : invert;
  if (flip) for (let i = 0; i < gray.length; i++) gray[i] = 255 - gray[i];
  const background = median(flip ? border.map((v) => 255 - v) : border);
  let peak = 0;
  for (const v of gray) if (v > peak) peak = v;
  if (peak - background < MIN_CONTRAST) return new Float32Array(gray.length);
  const gain = 255 / (peak - background);
  for (let i = 0; i < gray.length; i++) gray[i] = Math.min(255, Math.max(0, (gray[i] - background) * gain));
  return gray;
}

function borderValues(g: Float32Array, w: number, h: number): number[] {
  const out: number[] = [];
  for (let x = 0; x < w; x++) {
    out.push(g[x]);
    if (h > 1) out.push(g[(h - 1) * w + x]);
  }
  for (let y = 1; y < h - 1; y++) {
    out.push(g[y * w]);
    if (w > 1) out.push(g[y * w + w - 1]);
  }
  return out;
}

function mean(v: number[]): number {
  return v.reduce((a, b) => a + b, 0) / v.length;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

/** Bounding box of the pixels at or above the noise level, or null when there are none. */
function inkBox(ink: Float32Array, w: number, h: number): Box | null {
  return boxAtLeast(ink, w, h, NOISE_LEVEL);
}

/** Bounding box of the w x h image's pixels at or above `level`, or null when there are none. */
export function boxAtLeast(values: ArrayLike<number>, w: number, h: number, level: number): Box | null {
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (values[y * w + x] < level) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

function crop(ink: Float32Array, w: number, b: Box): Float32Array {
  const out = new Float32Array(b.width * b.height);
  for (let y = 0; y < b.height; y++) out.set(ink.subarray((b.y + y) * w + b.x, (b.y + y) * w + b.x + b.width), y * b.width);
  return out;
}

/** Box-filter resampling: each output pixel is the area-weighted mean of the source pixels it covers. */
export function resizeArea(src: Float32Array, sw: number, sh: number, dw: number, dh: number): Float32Array {
  const cols = areaWeights(sw, dw);
  const rows = areaWeights(sh, dh);
  const mid = new Float32Array(sh * dw);
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < dw; x++) {
      let s = 0;
      for (const [i, wgt] of cols[x]) s += src[y * sw + i] * wgt;
      mid[y * dw + x] = s;
    }
  }
  const out = new Float32Array(dw * dh);
  for (let y = 0; y < dh; y++) {
    for (let x = 0; x < dw; x++) {
      let s = 0;
      for (const [i, wgt] of rows[y]) s += mid[i * dw + x] * wgt;
      out[y * dw + x] = s;
    }
  }
  return out;
}

/** For each of `dst` output cells, the source cells it overlaps and the share of its area each covers. */
function areaWeights(src: number, dst: number): [number, number][][] {
  const step = src / dst;
  return Array.from({ length: dst }, (_, o) => {
    const a = o * step;
    const b = (o + 1) * step;
    const list: [number, number][] = [];
    for (let i = Math.floor(a); i < Math.min(src, Math.ceil(b)); i++) {
      const overlap = Math.min(b, i + 1) - Math.max(a, i);
      if (overlap > 1e-9) list.push([i, overlap / step]);
    }
    return list;
  });
}

/**
 * Pastes the w x h digit into 28x28 so that its centre of mass lands on pixel (14, 14), moving by whole
 * pixels as MNIST did (no resampling blur). The move is limited so the digit never leaves the frame.
 */
function centreByMass(digit: Float32Array, w: number, h: number): Float32Array {
  let total = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = digit[y * w + x];
      total += v;
      mx += v * x;
      my += v * y;
    }
  }
  const ox = clamp(Math.round(CENTRE - mx / total), 0, SIDE - w);
  const oy = clamp(Math.round(CENTRE - my / total), 0, SIDE - h);
  const out = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) out[(oy + y) * SIDE + ox + x] = Math.min(1, Math.max(0, digit[y * w + x] / 255));
  }
  return out;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** Centre of mass (x, y) of a 28x28 image, in pixel indices; null when it is all zero. */
export function centreOfMass(pixels: ArrayLike<number>, side = SIDE): { x: number; y: number } | null {
  let t = 0;
  let x = 0;
  let y = 0;
  for (let i = 0; i < side * side; i++) {
    t += pixels[i];
    x += pixels[i] * (i % side);
    y += pixels[i] * Math.floor(i / side);
  }
  return t > 0 ? { x: x / t, y: y / t } : null;
}
