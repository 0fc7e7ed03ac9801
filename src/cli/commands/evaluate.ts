// `digitnet evaluate`: a saved model against a labelled test set: accuracy and loss, the confusion matrix
// as a text table and the classification report as scikit-learn lays it out (or metrics.json with --json).

import { Command } from 'commander';
import { evaluateModel, testMetricsJson } from '../../eval/evaluate.js';
import { formatClassificationReport, formatConfusionMatrix } from '../../eval/format.js';
import { loadTestData } from '../../data/sources.js';
import { intOption, PIXEL_RANGE_HELP, pixelRangeOption } from '../options.js';
import { loadDigitModel } from './model.js';

export function evaluateCommand(): Command {
  return new Command('evaluate')
    .description('evaluate a trained model on a labelled test set')
    .requiredOption('--model <dir>', 'model folder (model.json) or run folder')
    .option('--data <mnist|fashion-mnist|foreign|path>', 'test data: mnist (embedded test set), fashion-mnist, foreign (MNIST test digits re-rendered in other styles), a labelled CSV file, or a folder of CSV or IDX files or of class folders of images', 'mnist')
    .option('--limit <n>', 'use only the first N test images', intOption(1))
    .option('--json', 'print metrics.json instead of the tables')
    .option('--pixel-range <range>', PIXEL_RANGE_HELP, pixelRangeOption)
    .action(async (f: { model: string; data: string; limit?: number; json?: boolean; pixelRange?: '0-255' | '0-1' }) => {
      const { model, spec } = await loadDigitModel(f.model);
      const { test, source } = await loadTestData(f.data, f.limit, f.pixelRange, { shape: [spec.height, spec.width, spec.channels], classNames: spec.classNames });
      const ev = evaluateModel(model, test);
      if (f.json) {
        console.log(JSON.stringify({ test: testMetricsJson(ev), classNames: spec.classNames }, null, 2));
        return;
      }
      const m = ev.metrics;
      console.log(`Test set: ${source} (${m.count.toLocaleString('en-US')} images)`);
      console.log(`Test accuracy: ${(m.accuracy * 100).toFixed(2)}%  (${Math.round(m.accuracy * m.count)} of ${m.count})`);
      console.log(`Test loss: ${ev.loss.toFixed(4)}`);
      console.log('\nConfusion matrix (rows: actual, columns: predicted)\n');
      console.log(formatConfusionMatrix(m.confusionMatrix, spec.classNames));
      console.log('\nClassification report\n');
      process.stdout.write(formatClassificationReport(m, 2, spec.classNames));
    });
}
