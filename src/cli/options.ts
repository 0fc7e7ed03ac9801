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
