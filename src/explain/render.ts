// Explanations as pixels: heat maps in a perceptually ordered colour scale (black → purple → orange →
// yellow, after matplotlib's 'inferno'), optionally blended over the digit; grey-scale maps; nearest-neighbour
// enlargement (every model pixel stays a visible square); and grids of tiles for feature maps and filters.
// Rasters are plain bytes, so the same code feeds PNG files in Node and canvases in the page. Browser-safe.

export interface Raster {
  width: number;
  height: number;
  /** 1: grey, 3: RGB; rows top to bottom, pixels interleaved. */
  channels: 1 | 3;
  data: Uint8Array;
}

/** Anchors of the colour scale at t = 0, 0.25, 0.5, 0.75, 1 (inferno's colours at those points). */
const HEAT: readonly [number, number, number][] = [[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]];

/** How bright the image stays under a heat map. */
const DIM = 0.45;

/** The colour of t in [0, 1] (clamped). */
export function heatColor(t: number): [number, number, number] {
  const v = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (HEAT.length - 1);
  const i = Math.min(HEAT.length - 2, Math.floor(v));
  const f = v - i;
  return [0, 1, 2].map((c) => Math.round(HEAT[i][c] * (1 - f) + HEAT[i + 1][c] * f)) as [number, number, number];
}

/**
 * A map (h × w, non-negative) in the colour scale, scaled by its maximum (or `max`). With `under` (the image,
 * 0..1, h × w), the colour is blended over the grey image with weight `alpha` × the map's value (the image dimmed).
 */
export function heatRaster(map: ArrayLike<number>, width: number, height: number, o: { under?: ArrayLike<number>; alpha?: number; max?: number } = {}): Raster {
  let max = o.max ?? 0;
  if (o.max === undefined) for (let i = 0; i < map.length; i++) max = Math.max(max, map[i]);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const t = max > 0 ? map[i] / max : 0;
    const [r, g, b] = heatColor(t);
    if (!o.under) {
      data.set([r, g, b], i * 3);
      continue;
    }
    // The image is dimmed so that the colours, not white ink, carry the map.
    const a = (o.alpha ?? 0.8) * Math.min(1, Math.max(0, t));
    const grey = DIM * 255 * Math.min(1, Math.max(0, o.under[i]));
    data.set([r, g, b].map((c) => Math.round(grey * (1 - a) + c * a)), i * 3);
  }
  return { width, height, channels: 3, data };
}

/**
 * The value a map's colour scale tops out at: its `q` quantile (default the 99th percentile), so that a few
 * extreme pixels do not leave the rest of a saliency map black (values above it show at full heat).
 */
export function displayMax(map: ArrayLike<number>, q = 0.99): number {
  const sorted = Float32Array.from(map).sort();
  const top = sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return top > 0 ? top : sorted[sorted.length - 1];
}

/** Values mapped linearly from [lo, hi] to 0..255 grey (clamped); hi = lo gives black. */
export function greyRaster(values: ArrayLike<number>, width: number, height: number, lo: number, hi: number): Raster {
  const data = new Uint8Array(width * height);
  const span = hi - lo;
  for (let i = 0; i < data.length; i++) data[i] = span > 0 ? Math.round(255 * Math.min(1, Math.max(0, (values[i] - lo) / span))) : 0;
  return { width, height, channels: 1, data };
}

/** Each pixel as a scale × scale square. */
export function enlarge(r: Raster, scale: number): Raster {
  if (scale === 1) return r;
  const width = r.width * scale;
  const height = r.height * scale;
  const c = r.channels;
  const data = new Uint8Array(width * height * c);
  for (let y = 0; y < height; y++) {
    const sy = Math.floor(y / scale);
    for (let x = 0; x < width; x++) {
      const src = (sy * r.width + Math.floor(x / scale)) * c;
      for (let k = 0; k < c; k++) data[(y * width + x) * c + k] = r.data[src + k];
    }
  }
  return { width, height, channels: c, data };
}

/** The size of a grid of `count` tiles of tw × th in `columns` columns with `gap` pixels around every tile. */
export function gridSize(count: number, tw: number, th: number, columns: number, gap: number): { width: number; height: number; columns: number; rows: number } {
  const cols = Math.max(1, Math.min(columns, count));
  const rows = Math.max(1, Math.ceil(count / cols));
  return { width: cols * tw + (cols + 1) * gap, height: rows * th + (rows + 1) * gap, columns: cols, rows };
}

/** Tiles of one size and kind in a grid on a background grey (`background`, 0..255). */
export function tileGrid(tiles: Raster[], columns: number, gap = 2, background = 96): Raster {
  if (tiles.length === 0) throw new Error('tileGrid: no tiles');
  const { width: tw, height: th, channels: c } = tiles[0];
  const { width, height, columns: cols } = gridSize(tiles.length, tw, th, columns, gap);
  const data = new Uint8Array(width * height * c).fill(background);
  tiles.forEach((t, i) => {
    const ox = gap + (i % cols) * (tw + gap);
    const oy = gap + Math.floor(i / cols) * (th + gap);
    for (let y = 0; y < th; y++) data.set(t.data.subarray(y * tw * c, (y + 1) * tw * c), ((oy + y) * width + ox) * c);
  });
  return { width, height, channels: c, data };
}
