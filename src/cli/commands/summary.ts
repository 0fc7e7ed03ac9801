// `digitnet summary`: the layer table (output shapes, parameter counts) of a saved model, or of the seed
// CNN that `digitnet train` builds when no model is given.

import { Command } from 'commander';
import { seedCnn } from '../../index.js';
import { loadDigitModel } from './model.js';

export function summaryCommand(): Command {
  return new Command('summary')
    .description('print the model\'s layers, output shapes and parameter counts')
    .option('--model <dir>', 'model folder or run folder (default: the untrained seed CNN)')
    .action(async (f: { model?: string }) => {
      const model = f.model ? (await loadDigitModel(f.model)).model : seedCnn({ seed: 0 });
      model.summary((line) => console.log(line));
    });
}
