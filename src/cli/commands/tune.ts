// `digitnet tune`: hyperparameter search over a space from a JSON file, with a sampler (grid, random,
// TPE), a pruner (none, median, ASHA), parallel worker processes and a study database (SQLite by default,
// PostgreSQL to share a study between machines). Running it again resumes the study; `--show` prints it.
// Settings a study was made with are kept: leave them out to resume, and giving a different one is an error.

import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { buildStudyReport } from '../../report/study.js';
import { DEFAULTS } from '../../train/defaults.js';
import type { TrainOptions } from '../../train/run.js';
import {
  bestTrial, checkSpaceFields, createPruner, createSampler, fieldNamed, openStorage, OBJECTIVES, parseSpace, prunerNames, runTuner, samplerNames,
  spaceJson, type Direction, type Objective, type Space, type Storage, type Study, type StudySettings,
} from '../../tune/index.js';
import { enumerateGrid } from '../../tune/samplers/grid.js';
import { floatOption, intOption, parseDuration } from '../options.js';
import { shownPath, trialsTable, tunePrinter } from '../tune-output.js';

interface TuneFlags {
  space?: string;
  study?: string;
  storage: string;
  sampler: string;
  pruner: string;
  objective: Objective;
  direction?: Direction;
  trials?: number;
  time?: number;
  workers: number;
  seed: number;
  out?: string;
  show?: boolean;
  data: string;
  test?: string;
  epochs: number;
  batchSize: number;
  validationSplit: number;
  lr: number;
  lrDecay?: number;
  arch?: string;
  augment?: string;
  schedule?: string;
  limit?: number;
  testLimit?: number;
}

/** Flags that set a training option every trial shares, and the option. */
const TRAINING_FLAGS: [keyof TuneFlags, keyof TrainOptions][] = [
  ['data', 'data'], ['test', 'test'], ['epochs', 'epochs'], ['batchSize', 'batchSize'], ['validationSplit', 'validationSplit'],
  ['lr', 'learningRate'], ['lrDecay', 'lrDecay'], ['arch', 'arch'], ['augment', 'augment'], ['schedule', 'schedule'], ['limit', 'limit'], ['testLimit', 'testLimit'], ['seed', 'seed'],
];

export const DEFAULT_STORAGE = `sqlite:${DEFAULTS.runsDir}/studies.db`;
const DEFAULT_TRIALS = 20;

export function tuneCommand(): Command {
  return new Command('tune')
    .description('search hyperparameters: train many models over a search space, prune the hopeless, keep the best as a run folder')
    .option('--space <file>', 'the search space, a JSON file: {"lr": {"loguniform": [0.0001, 0.01]}, "batchSize": {"choice": [32, 64, 128]}}')
    .option('--study <name>', "the study's name in the database (default: the space file's name)")
    .option('--storage <url>', 'the study database: sqlite:PATH or postgres://user:password@host:port/database', DEFAULT_STORAGE)
    .addOption(new Option('--sampler <name>', 'how trials are chosen').choices(samplerNames()).default('tpe'))
    .addOption(new Option('--pruner <name>', 'how hopeless trials are stopped early').choices(prunerNames()).default('median'))
    .addOption(new Option('--objective <name>', 'what a trial is judged by, after each epoch').choices([...OBJECTIVES]).default('val_accuracy'))
    .addOption(new Option('--direction <d>', 'maximize or minimize the objective (default: maximize val_accuracy, minimize val_loss)').choices(['maximize', 'minimize']))
    .option('--trials <n>', `the study's total number of trials: a resumed study runs until it has this many (default ${DEFAULT_TRIALS}; grid: the whole grid)`, intOption(1))
    .option('--time <t>', 'start no new trial after this long, e.g. 90s, 30m, 1h30m', parseDuration)
    .option('--workers <n>', 'trials at once, each in its own process with cores/N native threads', intOption(1), 1)
    .option('--seed <s>', 'seeds the sampler and every training run', intOption(0), DEFAULTS.seed)
    .option('--out <dir>', "the study's folder: a run folder per trial and report.html (default runs/<study>)")
    .option('--show', "print the study's trials and write its report, without running any")
    .option('--data <mnist|path>', 'training data, as for digitnet train', 'mnist')
    .option('--test <path>', 'test set, when --data is one CSV file')
    .option('--epochs <n>', 'epochs per trial (unless the space tunes epochs)', intOption(1), DEFAULTS.epochs)
    .option('--batch-size <b>', 'images per step (unless the space tunes it)', intOption(1), DEFAULTS.batchSize)
    .option('--validation-split <f>', 'fraction held out for the objective (stratified)', floatOption((n) => n > 0 && n < 1, '0 < f < 1'), DEFAULTS.validationSplit)
    .option('--lr <x>', "Adam's learning rate (unless the space tunes it)", floatOption((n) => n > 0, 'x > 0'), DEFAULTS.learningRate)
    .option('--lr-decay <f>', 'learning-rate factor per epoch, instead of --schedule (unless the space tunes it)', floatOption((n) => n > 0 && n <= 1, '0 < f <= 1'))
    .option('--schedule <spec>', `learning-rate schedule, as for digitnet train (default ${DEFAULTS.schedule})`)
    .option('--augment <spec>', `augmentation of the training batches, as for digitnet train (default ${DEFAULTS.augment})`)
    .option('--arch <name>', 'architecture, as for digitnet train (default seed; the space may tune it)')
    .option('--limit <n>', 'use only the first N training images (and N test images)', intOption(1))
    .option('--test-limit <n>', 'use only the first N test images', intOption(1))
    .action(async (f: TuneFlags, cmd: Command) => {
      const explicit = new Set(Object.keys(f).filter((k) => cmd.getOptionValueSource(k) === 'cli'));
      const storage = await openStorage(f.storage);
      try {
        await (f.show ? show(storage, f) : tune(storage, f, explicit));
      } finally {
        await storage.close();
      }
    });
}

async function tune(storage: Storage, f: TuneFlags, explicit: Set<string>): Promise<void> {
  const name = studyName(f);
  const existing = await storage.findStudy(name);
  const space = f.space ? readSpace(f.space) : existing ? parseSpace(existing.space, `study '${name}'`) : null;
  if (!space) throw new Error(`study '${name}' is new: give its search space with --space FILE`);
  const settings = studySettings(name, space, f, explicit, existing);
  const study = await storage.openStudy(settings);
  const trainingOptions = study.training as TrainOptions;
  // Without --trials: the whole grid, or no limit when --time bounds the study, else DEFAULT_TRIALS.
  const trials = f.trials ?? (study.sampler === 'grid' ? enumerateGrid(space).length : f.time ? null : DEFAULT_TRIALS);
  const dir = resolve(f.out ?? join(DEFAULTS.runsDir, name));
  const before = (await storage.trials(study.id)).filter((t) => t.state === 'complete' || t.state === 'pruned').length;
  console.log(`Study '${name}' in ${where(storage)}: ${study.sampler} sampler, ${study.pruner} pruner, ${study.objective} ${study.direction}d; ${before}${trials === null ? '' : ` of ${trials}`} trials done${f.time ? `; new trials for ${Math.round(f.time / 1000)} s` : ''}`);
  const result = await runTuner({
    storage, study, space, sampler: createSampler(study.sampler), pruner: createPruner(study.pruner),
    trials, deadline: f.time ? Date.now() + f.time : null, workers: f.workers, training: trainingOptions, studyDir: dir,
    onEvent: tunePrinter(study),
  });
  const count = (s: string): number => result.trials.filter((t) => t.state === s).length;
  const why = { budget: `it has ${trials} trials`, time: 'the time is up', exhausted: 'the grid is done' }[result.stopped];
  console.log(`Study '${name}': ${count('complete')} complete, ${count('pruned')} pruned, ${count('failed')} failed (stopped: ${why}; ${result.ran} run here)`);
  await finish(storage, study, dir);
}

async function show(storage: Storage, f: TuneFlags): Promise<void> {
  const name = studyName(f);
  const study = await storage.findStudy(name);
  if (!study) {
    const names = (await storage.listStudies()).map((s) => s.name);
    throw new Error(`no study named '${name}' in ${storage.label} (${names.length ? `studies: ${names.join(', ')}` : 'it holds no study'})`);
  }
  const trials = await storage.trials(study.id);
  const space = parseSpace(study.space, `study '${name}'`);
  console.log(`Study '${name}' in ${where(storage)}: ${study.sampler} sampler, ${study.pruner} pruner, ${study.objective} ${study.direction}d`);
  console.log(trialsTable(study, space.params.map((p) => p.name), trials));
  await finish(storage, study, resolve(f.out ?? join(DEFAULTS.runsDir, name)));
}

/** Writes the study's report and ends with `best: <run folder>`. */
async function finish(storage: Storage, study: Study, dir: string): Promise<void> {
  const trials = await storage.trials(study.id);
  const r = await buildStudyReport(dir, study, trials, storage.label);
  console.log(`report: ${shownPath(r.html)}`);
  const best = bestTrial(trials, study.direction);
  console.log(best ? `best: ${shownPath(best.runDir ?? '')}` : 'best: none (no trial has completed)');
}

/** The storage as the user named it: a SQLite file relative to the working folder. */
function where(storage: Storage): string {
  return storage.label.startsWith('sqlite:') ? `sqlite:${shownPath(storage.label.slice('sqlite:'.length))}` : storage.label;
}

function studyName(f: TuneFlags): string {
  if (f.study) return f.study;
  if (f.space) return basename(f.space).replace(/\.json$/i, '');
  throw new Error('give the study: --study NAME (or --space FILE, whose name it then takes)');
}

function readSpace(path: string): Space {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read the search space (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const space = parseSpace(json, path);
  checkSpaceFields(space, path);
  return space;
}

/**
 * The study's settings: a new study's from the flags; a stored study's as stored, where a flag given
 * on the command line must agree with what is stored.
 */
function studySettings(name: string, space: Space, f: TuneFlags, explicit: Set<string>, stored: Study | null): StudySettings {
  const tuned = new Set(space.params.map((p) => fieldNamed(p.name)!.option));
  for (const [flag, option] of TRAINING_FLAGS) {
    if (explicit.has(flag) && tuned.has(option)) throw new Error(`--${kebab(flag)} is tuned by the search space; leave it out or take it out of the space`);
  }
  const training: Record<string, unknown> = {};
  for (const [flag, option] of TRAINING_FLAGS) {
    const v = f[flag];
    if (v !== undefined && !tuned.has(option)) training[option] = flag === 'data' && v !== 'mnist' ? resolve(String(v)) : flag === 'test' ? resolve(String(v)) : v;
  }
  const fresh: StudySettings = {
    name, space: spaceJson(space), objective: f.objective, direction: f.direction ?? (f.objective === 'val_loss' ? 'minimize' : 'maximize'),
    sampler: f.sampler, pruner: f.pruner, seed: f.seed, training,
  };
  if (!stored) return fresh;
  const keep = (flag: keyof TuneFlags, mine: unknown, theirs: unknown): void => {
    if (explicit.has(flag) && JSON.stringify(mine) !== JSON.stringify(theirs)) {
      throw new Error(`study '${name}' was made with --${kebab(flag)} ${String(theirs)}; leave --${kebab(flag)} out to resume it, or give another --study name`);
    }
  };
  keep('sampler', fresh.sampler, stored.sampler);
  keep('pruner', fresh.pruner, stored.pruner);
  keep('objective', fresh.objective, stored.objective);
  keep('direction', fresh.direction, stored.direction);
  for (const [flag, option] of TRAINING_FLAGS) keep(flag, training[option], stored.training[option]);
  return { ...stored, space: fresh.space };
}

function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
