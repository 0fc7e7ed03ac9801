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
