// `digitnet train`: trains a CNN (by default the seed CNN on the embedded MNIST with the defaults), evaluates it
// on the test set and writes the run directory with its report.

import { Command } from 'commander';
import { relative } from 'node:path';
import { DEFAULTS } from '../../train/defaults.js';
import { ZOO_NAMES } from '../../train/zoo/index.js';
import { IMAGE_SIZE_RANGE } from '../../train/model-for-data.js';
import { trainRun } from '../../train/run.js';
import { DEFAULT_TEST_SPLIT } from '../../data/sources.js';
import { floatOption, intOption, PIXEL_RANGE_HELP, pixelRangeOption } from '../options.js';
import { progressPrinter } from '../progress.js';

interface TrainFlags {
  data: string;
  arch: string;
  test?: string;
  epochs: number;
  batchSize: number;
  validationSplit: number;
  lr: number;
  lrDecay: number;
  seed: number;
  limit?: number;
  testLimit?: number;
  testSplit?: number;
  out?: string;
  overwrite?: boolean;
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
    .option('--lr <x>', "Adam's learning rate", floatOption((n) => n > 0, 'x > 0'), DEFAULTS.learningRate)
    .option('--lr-decay <f>', 'multiply the learning rate by this after each epoch (1: constant)', floatOption((n) => n > 0 && n <= 1, '0 < f <= 1'), DEFAULTS.lrDecay)
    .option('--seed <s>', 'seed for initialization, split and shuffles', intOption(0), DEFAULTS.seed)
    .option('--limit <n>', 'use only the first N training images (and N test images), for quick runs', intOption(1))
    .option('--test-limit <n>', 'use only the first N test images', intOption(1))
    .option('--out <dir>', 'run directory (default runs/<date-time>)')
    .option('--overwrite', 'replace the run directory given with --out if it exists (the old run stays until the new one is whole)')
    .option('--pixel-range <range>', PIXEL_RANGE_HELP, pixelRangeOption)
    .option('--image-size <n>', `make the images n x n (image folders: default 28, through MNIST's preprocessing at 28x28x1, a plain resize otherwise)`, intOption(IMAGE_SIZE_RANGE.min))
    .option('--channels <c>', 'make the images gray (1) or RGB (3) (default 1)', intOption(1))
    .option('--class-names <file>', 'names of the classes, one per line (label 0 first), for CSV or IDX data (default: classes.txt beside it)')
    .option('--per-class <n>', 'train on only the first n images of each class (a small labelled set; the test set stays whole)', intOption(1))
    .option('--from <run>', 'start from this run\'s (or model folder\'s) trained model: transfer learning; its head is replaced when the class count differs')
    .option('--freeze <layer>', 'with --from: freeze the layers up to and including this one (see digitnet summary)')
    .option('--fine-tune-epochs <n>', 'with --from: then unfreeze (all but BatchNormalization) and train n more epochs', intOption(0))
    .option('--fine-tune-lr <x>', 'the learning rate of the fine-tuning epochs (default: --lr / 10)', floatOption((n) => n > 0, 'x > 0'))
    .action(async (f: TrainFlags) => {
      const result = await trainRun({
        data: f.data, arch: f.arch, test: f.test, epochs: f.epochs, batchSize: f.batchSize, validationSplit: f.validationSplit,
        learningRate: f.lr, lrDecay: f.lrDecay, seed: f.seed, limit: f.limit, testLimit: f.testLimit, out: f.out,
        overwrite: f.overwrite, testSplit: f.testSplit, pixelRange: f.pixelRange,
        imageSize: f.imageSize, channels: f.channels, classNames: f.classNames, perClass: f.perClass,
        from: f.from, freeze: f.freeze, fineTuneEpochs: f.fineTuneEpochs, fineTuneLr: f.fineTuneLr,
      }, progressPrinter());
      const dir = relative(process.cwd(), result.runDir) || '.';
      const at = (name: string): string => `  ${dir}/${name}`;
      console.log(`Run written to ${dir}/`);
      const sub = result.files.run.data.submission ? [at(`${result.files.run.data.submission.file}      (Kaggle submission)`)] : [];
      console.log([at('model/              (TensorFlow.js format)'), at('history.json, history.csv'), at('metrics.json'), at('figures/            (SVG and PNG)'), at('report.html'), ...sub].join('\n'));
    });
}
