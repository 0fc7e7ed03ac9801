// Which training options a search space may tune, and how a trial's parameters become the options of
// a training run. One entry per option: a new option of TrainOptions (an architecture, dropout, filter
// counts, augmentation strength) becomes tunable by adding its entry here, nothing else.

import { parseAugment } from '../data/augment/spec.js';
import { isZooName } from '../train/arch.js';
import type { TrainOptions } from '../train/run.js';
import { parseOptimizer } from '../train/optimizer-spec.js';
import { parseSchedule } from '../train/schedule-spec.js';
import { describeParam, type Param, type Params, type Space, type Value } from './space.js';

export interface Field {
  /** The TrainOptions key the parameter sets. */
  option: keyof TrainOptions;
  /** Other names a space may use for it (the `digitnet train` flag without its dashes). */
  aliases: string[];
  /** What values it takes, for messages: 'a number above 0'. */
  takes: string;
  /** Whether it takes only whole numbers (then a uniform/loguniform parameter cannot set it). */
  integer: boolean;
  /** Whether a value is allowed. */
  allows: (v: Value) => boolean;
}

const num = (ok: (n: number) => boolean) => (v: Value): boolean => typeof v === 'number' && Number.isFinite(v) && ok(v);
/** A string the option's own parser accepts (the parser's message is not needed: the space's error names the value). */
const parses = (parse: (s: string) => unknown) => (v: Value): boolean => {
  if (typeof v !== 'string') return false;
  try {
    parse(v);
    return true;
  } catch {
    return false;
  }
};

export const FIELDS: Field[] = [
  { option: 'learningRate', aliases: ['lr'], takes: 'a number above 0', integer: false, allows: num((n) => n > 0) },
  { option: 'batchSize', aliases: ['batch-size'], takes: 'a whole number of at least 1', integer: true, allows: num((n) => Number.isInteger(n) && n >= 1) },
  { option: 'epochs', aliases: [], takes: 'a whole number of at least 1', integer: true, allows: num((n) => Number.isInteger(n) && n >= 1) },
  { option: 'lrDecay', aliases: ['lr-decay'], takes: 'a number above 0 and at most 1', integer: false, allows: num((n) => n > 0 && n <= 1) },
  { option: 'arch', aliases: [], takes: 'a zoo architecture (seed, lenet5, vgg, resnet20)', integer: false, allows: (v) => typeof v === 'string' && isZooName(v) },
  { option: 'augment', aliases: [], takes: "an augmentation as --augment writes it ('none', 'default', 'rotate=10,zoom=0.1')", integer: false, allows: parses(parseAugment) },
  { option: 'schedule', aliases: [], takes: "a learning-rate schedule as --schedule writes it ('cosine', 'onecycle', 'exponential,rate=0.9')", integer: false, allows: parses(parseSchedule) },
  { option: 'optimizer', aliases: [], takes: "an optimizer as --optimizer writes it ('adam', 'sgd,momentum=0.9', 'adamw,weight_decay=0.01')", integer: false, allows: parses(parseOptimizer) },
  { option: 'validationSplit', aliases: ['validation-split'], takes: 'a number above 0 and below 1', integer: false, allows: num((n) => n > 0 && n < 1) },
];

/** The field a parameter name sets, or null. */
export function fieldNamed(name: string): Field | null {
  return FIELDS.find((f) => f.option === name || f.aliases.includes(name)) ?? null;
}

/** Checks that every parameter names a tunable option and every value it can take is one the option allows. */
export function checkSpaceFields(space: Space, source: string): void {
  const seen = new Map<string, string>();
  for (const p of space.params) {
    const f = fieldNamed(p.name);
    const where = `${source}: parameter '${p.name}'`;
    if (!f) throw new Error(`${where} is not a training option digitnet tune can set (it can set: ${FIELDS.map((x) => [x.option, ...x.aliases].join('/')).join(', ')})`);
    const other = seen.get(f.option);
    if (other) throw new Error(`${where} sets ${f.option}, as '${other}' already does`);
    seen.set(f.option, p.name);
    const bad = extremes(p).find((v) => !f.allows(v));
    if (f.integer && (p.kind === 'uniform' || p.kind === 'loguniform')) throw new Error(`${where}: ${f.option} takes whole numbers; use int or choice, not ${p.kind}`);
    if (bad !== undefined) throw new Error(`${where}: ${f.option} takes ${f.takes}, and ${describeParam(p)} allows ${JSON.stringify(bad)}`);
  }
}

/** The values to check: every choice, or a range's two ends. */
function extremes(p: Param): Value[] {
  return p.kind === 'choice' ? p.choices : [p.low, p.high];
}

/** The training options of one trial: the study's shared options with the trial's parameters on top. */
export function trainOptionsFor(params: Params, base: TrainOptions): TrainOptions {
  const out: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(params)) {
    const f = fieldNamed(name);
    if (!f) throw new Error(`parameter '${name}' is not a training option digitnet tune can set`);
    out[f.option] = value;
  }
  return out as TrainOptions;
}
