// `digitnet train`: trains a CNN (by default the seed CNN on the embedded MNIST with the defaults), evaluates it
// on the test set and writes the run directory with its report. `--resume DIR` continues an interrupted run
// from its backup; `--ensemble K` trains K members and averages them.

import { Command, InvalidArgumentError } from 'commander';
import { relative } from 'node:path';
import { DEFAULTS } from '../../train/defaults.js';
import { trainEnsembleRun } from '../../train/ensemble-run.js';
import { ZOO_NAMES } from '../../train/zoo/index.js';
import { trainRun, type RunResult, type TrainOptions } from '../../train/run.js';
import { IMAGE_SIZE_RANGE } from '../../train/model-for-data.js';
import { DEFAULT_TEST_SPLIT } from '../../data/sources.js';
import { floatOption, intOption, PIXEL_RANGE_HELP, pixelRangeOption } from '../options.js';
import { progressPrinter } from '../progress.js';
import { pct } from '../../report/html.js';

interface TrainFlags {
  data: string;
  arch: string;
  test?: string;
  epochs: number;
  batchSize: number;
  validationSplit: number;
  lr: number;
  lrDecay?: number;
  schedule?: string;
  optimizer: string;
  augment?: string | true;
  earlyStopping?: number;
  checkpoint?: 'best' | 'every' | 'none';
  backup: boolean;
  seed: number;
  limit?: number;
  testLimit?: number;
  testSplit?: number;
  out?: string;
  overwrite?: boolean;
  resume?: string;
  ensemble?: number;
  pixelRange?: '0-255' | '0-1';
  imageSize?: number;
  channels?: number;
  classNames?: string;
  perClass?: number;
  from?: string;
  freeze?: string;
  fineTuneEpochs?: number;
  fineTuneLr?: number;
}

/** Flag name → TrainOptions key, for the options a resumed run may repeat. */
const FLAG_KEYS: Record<string, keyof TrainOptions> = {
  data: 'data', arch: 'arch', test: 'test', epochs: 'epochs', batchSize: 'batchSize', validationSplit: 'validationSplit', lr: 'learningRate',
  lrDecay: 'lrDecay', schedule: 'schedule', optimizer: 'optimizer', augment: 'augment', earlyStopping: 'earlyStopping', checkpoint: 'checkpoint', seed: 'seed',
  limit: 'limit', testLimit: 'testLimit', testSplit: 'testSplit', pixelRange: 'pixelRange', backup: 'backup',
  imageSize: 'imageSize', channels: 'channels', classNames: 'classNames', perClass: 'perClass', from: 'from', freeze: 'freeze',
  fineTuneEpochs: 'fineTuneEpochs', fineTuneLr: 'fineTuneLr',
};

function checkpointOption(v: string): 'best' | 'every' | 'none' {
  if (v === 'best' || v === 'every' || v === 'none') return v;
  throw new InvalidArgumentError(`'${v}' is not best, every or none.`);
}

export function trainCommand(): Command {
  return new Command('train')
    .description('train the CNN, evaluate it on the test set and write a run directory with the model and report')
    .option('--data <mnist|fashion-mnist|path>', 'training data: mnist (embedded), fashion-mnist (Debian\'s dataset-fashion-mnist), a labelled CSV file, or a folder of IDX files, CSV files or one sub-folder of images per class', 'mnist')
    .option('--arch <name|path>', `architecture: ${ZOO_NAMES.join(', ')}, or the path of a TF.js/Keras model.json topology`, 'seed')
    .option('--test <path>', 'test set, when --data is one CSV file (default: its labelled sibling named *test*, else a split held out from it)')
    .option('--test-split <f>', 'fraction held out as the test set when the data has none (a labelled CSV alone, Kaggle\'s train.csv, an image folder)', floatOption((n) => n > 0 && n < 1, '0 < f < 1'), DEFAULT_TEST_SPLIT)
    .option('--epochs <n>', 'passes over the training data', intOption(1), DEFAULTS.epochs)
    .option('--batch-size <b>', 'images per optimizer step', intOption(1), DEFAULTS.batchSize)
    .option('--validation-split <f>', 'fraction of the training data held out for validation (stratified)', floatOption((n) => n >= 0 && n < 1, '0 <= f < 1'), DEFAULTS.validationSplit)
    .option('--lr <x>', 'the learning rate (the peak, for schedules that move it)', floatOption((n) => n > 0, 'x > 0'), DEFAULTS.learningRate)
    .option('--optimizer <spec>', 'adam[,beta1=B,beta2=B,epsilon=E], adamw[,...,weight_decay=D], sgd[,momentum=M,nesterov=1,weight_decay=D] or rmsprop[,rho=R,momentum=M,epsilon=E], with Keras\'s defaults', 'adam')
    .option('--schedule <spec>', `learning-rate policy: constant, exponential[,rate=F], step[,every=N,factor=F], cosine[,warmup=E,alpha=A], onecycle[,pct=P,div=D,final=F], plateau[,factor=F,patience=N,min=X] (default ${DEFAULTS.schedule})`)
    .option('--lr-decay <f>', 'multiply the learning rate by this after each epoch: --schedule exponential,rate=F', floatOption((n) => n > 0 && n <= 1, '0 < f <= 1'))
    .option('--augment [spec]', 'augment the training batches: alone for the defaults, none, or rotate=DEG,zoom=F,shift=PX,shear=DEG,elastic=ALPHA,sigma=S')
    .option('--early-stopping <patience>', 'stop when val_loss has not improved for this many epochs, keeping the best weights', intOption(1))
    .option('--checkpoint <which>', 'save checkpoints in <run>/checkpoints/: best (by val_loss), every (each epoch) or none', checkpointOption)
    .option('--no-backup', 'do not write the training backup after each epoch (--resume then has nothing to continue from)')
    .option('--seed <s>', 'seed for initialization, split, shuffles, dropout and augmentation', intOption(0), DEFAULTS.seed)
    .option('--limit <n>', 'use only the first N training images (and N test images), for quick runs', intOption(1))
    .option('--test-limit <n>', 'use only the first N test images', intOption(1))
    .option('--out <dir>', 'run directory (default runs/<date-time>)')
    .option('--overwrite', 'replace the run directory given with --out, or the interrupted run kept for it')
    .option('--resume <dir>', 'continue the interrupted run that was started with --out DIR, from its last backup')
    .option('--ensemble <k>', 'train K members (seeds S, S+1, ...) one after another and average them into one model', intOption(2))
    .option('--pixel-range <range>', PIXEL_RANGE_HELP, pixelRangeOption)
    .option('--image-size <n>', `make the images n x n (image folders: default 28, through MNIST's preprocessing at 28x28x1, a plain resize otherwise)`, intOption(IMAGE_SIZE_RANGE.min))
    .option('--channels <c>', 'make the images gray (1) or RGB (3) (default 1)', intOption(1))
    .option('--class-names <file>', 'names of the classes, one per line (label 0 first), for CSV or IDX data (default: classes.txt beside it)')
    .option('--per-class <n>', 'train on only the first n images of each class (a small labelled set; the test set stays whole)', intOption(1))
    .option('--from <run>', 'start from this run\'s (or model folder\'s) trained model: transfer learning; its head is replaced when the class count differs')
    .option('--freeze <layer>', 'with --from: freeze the layers up to and including this one (see digitnet summary)')
    .option('--fine-tune-epochs <n>', 'with --from: then unfreeze (all but BatchNormalization) and train n more epochs', intOption(0))
    .option('--fine-tune-lr <x>', 'the learning rate of the fine-tuning epochs (default: --lr / 10)', floatOption((n) => n > 0, 'x > 0'))
    .action(async (f: TrainFlags, cmd: Command) => {
      const given = (k: string): boolean => cmd.getOptionValueSource(k) === 'cli';
      const all: TrainOptions = {
        data: f.data, arch: f.arch, test: f.test, epochs: f.epochs, batchSize: f.batchSize, validationSplit: f.validationSplit,
        learningRate: f.lr, lrDecay: f.lrDecay, schedule: f.schedule, optimizer: f.optimizer, augment: f.augment === true ? '' : f.augment,
        earlyStopping: f.earlyStopping, checkpoint: f.checkpoint, backup: f.backup, seed: f.seed, limit: f.limit, testLimit: f.testLimit,
        out: f.out, overwrite: f.overwrite, testSplit: f.testSplit, pixelRange: f.pixelRange,
        imageSize: f.imageSize, channels: f.channels, classNames: f.classNames, perClass: f.perClass,
        from: f.from, freeze: f.freeze, fineTuneEpochs: f.fineTuneEpochs, fineTuneLr: f.fineTuneLr,
      };
      let opts = all;
      if (f.resume !== undefined) {
        if (f.out !== undefined && f.out !== f.resume) throw new Error(`--resume ${f.resume} and --out ${f.out} name different runs; --resume alone names the run`);
        // Only what was typed is compared with the run's own settings; defaults are the run's business.
        opts = { out: f.resume, resume: true, ...Object.fromEntries(Object.entries(FLAG_KEYS).filter(([flag]) => given(flag)).map(([flag, key]) => [key, all[key]])) };
      }
      const printer = progressPrinter();
      const result: RunResult = f.ensemble !== undefined ? await trainEnsembleRun(opts, f.ensemble, printer) : await trainRun(opts, printer);
      const dir = relative(process.cwd(), result.runDir) || '.';
      if (result.alreadyFinished) {
        console.log(`${dir}: this run has already finished (test accuracy ${pct(result.files.metrics.test.accuracy)}); nothing to resume`);
        return;
      }
      const at = (name: string): string => `  ${dir}/${name}`;
      console.log(`Run written to ${dir}/`);
      const sub = result.files.run.data.submission ? [at(`${result.files.run.data.submission.file}      (Kaggle submission)`)] : [];
      console.log([at('model/              (TensorFlow.js format)'), at('history.json, history.csv'), at('metrics.json'), at('figures/            (SVG and PNG)'), at('report.html'), ...sub].join('\n'));
    });
}
