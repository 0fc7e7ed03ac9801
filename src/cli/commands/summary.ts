// `digitnet summary`: the layer table (output shapes, parameter counts, and for graphs what each layer reads)
// of a saved model, of a zoo architecture, or of a model.json topology; the seed CNN when none is given.

import { Command } from 'commander';
import { buildArch } from '../../train/arch.js';
import { ZOO_NAMES } from '../../train/zoo/index.js';
import { loadDigitModel } from './model.js';

export function summaryCommand(): Command {
  return new Command('summary')
    .description('print the model\'s layers, output shapes and parameter counts')
    .option('--model <dir>', 'model folder or run folder')
    .option('--arch <name|path>', `an architecture: ${ZOO_NAMES.join(', ')}, or the path of a model.json topology (default: seed)`)
    .action(async (f: { model?: string; arch?: string }) => {
      if (f.model && f.arch) throw new Error('summary: give --model or --arch, not both');
      const model = f.model ? (await loadDigitModel(f.model)).model : buildArch(f.arch ?? 'seed', { seed: 0 });
      model.summary((line) => console.log(line));
    });
}
