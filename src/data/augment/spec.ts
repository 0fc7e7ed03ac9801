// What an augmentation does, and how strongly: random rotation, zoom, shift, shear and elastic distortion,
// each with a strength (0 turns it off), read from `--augment rotate=10,zoom=0.1,...`. Checked where it
// arrives: an unknown name or a strength out of range is a one-line error naming it. Browser-safe.

export interface AugmentSpec {
  /** Largest rotation, degrees either way. */
  rotate: number;
  /** Largest zoom, as a fraction: each axis is scaled by a factor in [1 − zoom, 1 + zoom]. */
  zoom: number;
  /** Largest shift, pixels either way on each axis. */
  shift: number;
  /** Largest shear (slant), degrees either way. */
  shear: number;
  /** Elastic distortion's intensity α (Simard et al. 2003), in pixels; 0 turns it off. */
  elastic: number;
  /** Elastic distortion's smoothness σ, in pixels (the Gaussian that smooths the random field). */
  sigma: number;
}

/** Each strength's range, and what it measures (for the error messages and --help). */
export const AUGMENT_RANGES: Record<keyof AugmentSpec, { min: number; max: number; unit: string }> = {
  rotate: { min: 0, max: 180, unit: 'degrees' },
  zoom: { min: 0, max: 0.5, unit: 'fraction' },
  shift: { min: 0, max: 14, unit: 'pixels' },
  shear: { min: 0, max: 45, unit: 'degrees' },
  elastic: { min: 0, max: 64, unit: 'pixels' },
  sigma: { min: 1, max: 10, unit: 'pixels' },
};

/** All strengths zero: the identity. */
export const NO_AUGMENT: AugmentSpec = { rotate: 0, zoom: 0, shift: 0, shear: 0, elastic: 0, sigma: 4 };

/** What `--augment` alone means: chosen by measurement (README, "Recipes"). */
export const DEFAULT_AUGMENT: AugmentSpec = { rotate: 10, zoom: 0.1, shift: 2, shear: 10, elastic: 0, sigma: 4 };

/** True when the spec changes images at all. */
export function augments(s: AugmentSpec): boolean {
  return s.rotate > 0 || s.zoom > 0 || s.shift > 0 || s.shear > 0 || s.elastic > 0;
}

/**
 * Parses `--augment`'s value: '' or 'default' for the defaults, 'none' for no augmentation, or
 * `name=value,...` over the defaults' names, each value within its range (names left out are 0, except sigma).
 */
export function parseAugment(text: string, option = '--augment'): AugmentSpec {
  const t = text.trim();
  if (t === '' || t === 'default' || t === 'on') return { ...DEFAULT_AUGMENT };
  if (t === 'none' || t === 'off') return { ...NO_AUGMENT };
  const spec: AugmentSpec = { ...NO_AUGMENT };
  const seen = new Set<string>();
  for (const part of t.split(',')) {
    const m = /^\s*([a-z]+)\s*=\s*([^=\s]+)\s*$/.exec(part);
    if (!m) throw new Error(`${option}: '${part.trim()}' is not name=value (e.g. rotate=10,zoom=0.1,shift=2,shear=10,elastic=34,sigma=4)`);
    const [, name, raw] = m;
    if (!Object.hasOwn(AUGMENT_RANGES, name)) throw new Error(`${option}: unknown augmentation '${name}'; choose from ${Object.keys(AUGMENT_RANGES).join(', ')}`);
    if (seen.has(name)) throw new Error(`${option}: '${name}' is given twice`);
    seen.add(name);
    const key = name as keyof AugmentSpec;
    const v = Number(raw);
    const r = AUGMENT_RANGES[key];
    if (!Number.isFinite(v)) throw new Error(`${option}: ${name}=${raw} is not a number`);
    if (v < r.min || v > r.max) throw new Error(`${option}: ${name}=${raw} is out of range (${r.min} to ${r.max} ${r.unit})`);
    spec[key] = v;
  }
  return spec;
}

/** The spec as `--augment` writes it (every strength that is on, and sigma when elastic is). */
export function formatAugment(s: AugmentSpec): string {
  if (!augments(s)) return 'none';
  const keys = (Object.keys(AUGMENT_RANGES) as (keyof AugmentSpec)[]).filter((k) => (k === 'sigma' ? s.elastic > 0 : s[k] > 0));
  return keys.map((k) => `${k}=${s[k]}`).join(',');
}
