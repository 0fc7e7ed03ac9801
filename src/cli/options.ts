// Option parsers shared by the commands: numbers are checked where they arrive, so a bad value is
// reported with the option's name before anything runs.

import { InvalidArgumentError } from 'commander';

export function intOption(min: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^\s*-?\d+\s*$/.test(v) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`'${v}' is not a whole number.`);
    if (n < min) throw new InvalidArgumentError(`${n} is below the minimum of ${min}.`);
    return n;
  };
}

export function floatOption(check: (n: number) => boolean, range: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`'${v}' is not a number.`);
    if (!check(n)) throw new InvalidArgumentError(`${n} is out of range (${range}).`);
    return n;
  };
}

/** --pixel-range: how CSV pixel values are written. */
export function pixelRangeOption(v: string): '0-255' | '0-1' {
  if (v === '0-255' || v === '0-1') return v;
  throw new InvalidArgumentError(`'${v}' is not a pixel range: give 0-255 (whole numbers, MNIST's own) or 0-1 (fractions, scaled by 255).`);
}

export const PIXEL_RANGE_HELP = 'how CSV pixels are written: 0-255 (whole numbers) or 0-1 (fractions, scaled by 255)';
/** A length of time such as `90s`, `30m`, `1h30m` or `2h` → milliseconds. */
export function parseDuration(v: string): number {
  const s = v.trim().toLowerCase();
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)\s*(h|m|s)/g)];
  if (s === '' || parts.map((p) => p[0]).join('') !== s.replace(/\s+/g, '')) {
    throw new InvalidArgumentError(`'${v}' is not a length of time (give e.g. 90s, 30m, 1h30m).`);
  }
  const ms = parts.reduce((t, p) => t + Number(p[1]) * { h: 3_600_000, m: 60_000, s: 1000 }[p[2] as 'h' | 'm' | 's'], 0);
  if (!(ms > 0)) throw new InvalidArgumentError(`'${v}' is no time at all.`);
  return ms;
}
