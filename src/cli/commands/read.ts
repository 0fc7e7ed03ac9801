// `digitnet read`: the whole number written in each image (PNG or JPEG: a drawing, a scan, a photo of
// paper), digit by digit, with each digit's confidence and box. One line per image, or with --json one
// compact JSON object per line. An image that cannot be read gets its error in its line and the batch
// goes on; the command then ends with exit code 1, after the last image.

import { Command } from 'commander';
import { readImageFile } from '../../data/images.js';
import { readNumber, type NumberReading } from '../../read/index.js';
import { loadDigitModel } from './model.js';

export function readCommand(): Command {
  return new Command('read')
    .description('read the whole number written in each image (PNG or JPEG: a drawing, a scan, a photo of paper)')
    .requiredOption('--model <dir>', 'model folder (model.json) or run folder')
    .argument('<image...>', 'PNG or JPEG files')
    .option('--json', 'one JSON object per line: {"input", "number", "digits": [{"label", "confidence", "box"}]} or {"input", "error"}')
    .action(async (images: string[], f: { model: string; json?: boolean }) => {
      const { model } = await loadDigitModel(f.model);
      const width = Math.min(60, Math.max(...images.map((i) => i.length)));
      let failed = 0;
      for (const input of images) {
        let reading: NumberReading;
        try {
          reading = readNumber(readImageFile(input), model);
        } catch (e) {
          failed++;
          const error = (e as Error).message;
          if (f.json) console.log(JSON.stringify({ input, error }));
          else process.stderr.write(`digitnet: ${error.startsWith(input) ? error : `${input}: ${error}`}\n`);
          continue;
        }
        console.log(f.json ? jsonLine(input, reading) : textLine(input, reading, width));
      }
      if (failed > 0) throw new Error(`${failed} of ${images.length} image${images.length === 1 ? '' : 's'} could not be read`);
    });
}

function jsonLine(input: string, r: NumberReading): string {
  const digits = r.digits.map((d) => ({ label: d.label, confidence: Number(d.confidence.toFixed(6)), box: d.box }));
  return JSON.stringify({ input, number: r.number, digits });
}

function textLine(input: string, r: NumberReading, width: number): string {
  if (r.digits.length === 0) return `${input.padEnd(width)}  (no digits found)`;
  const each = r.digits.map((d) => `${d.label} ${(d.confidence * 100).toFixed(1)}%`).join(', ');
  return `${input.padEnd(width)}  ${r.number}  (${each})`;
}
