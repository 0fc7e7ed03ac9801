// What `digitnet train` shows while it runs: a progress bar per epoch (batches done, running loss and
// accuracy, images/s, time left) when the output is a terminal, and in any case one line per epoch with
// training and validation loss and accuracy.

import cliProgress from 'cli-progress';
import type { Progress } from '../train/progress.js';
import { duration, pct } from '../report/html.js';

export function progressPrinter(out: (line: string) => void = (l) => process.stdout.write(l + '\n')): (p: Progress) => void {
  const tty = process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | null = null;
  return (p) => {
    switch (p.type) {
      case 'data':
        out(`Data: ${p.train.toLocaleString('en-US')} training, ${p.validation.toLocaleString('en-US')} validation, ${p.test.toLocaleString('en-US')} test images (${p.trainSource}; test: ${p.testSource})`);
        break;
      case 'epochBegin':
        if (tty) {
          bar = new cliProgress.SingleBar({
            format: `Epoch ${p.epoch + 1}/${p.epochs} {bar} {value}/{total} batches | loss {loss} | acc {acc} | {speed} img/s | {left} left`,
            barsize: 24,
            hideCursor: true,
            clearOnComplete: true,
          }, cliProgress.Presets.shades_classic);
          bar.start(p.batches, 0, { loss: '-', acc: '-', speed: '-', left: '-' });
        }
        break;
      case 'batch':
        bar?.update(p.batch + 1, {
          loss: p.loss.toFixed(4),
          acc: p.accuracy.toFixed(4),
          speed: Math.round(p.imagesPerSecond).toLocaleString('en-US'),
          left: duration(p.epochEtaSeconds),
        });
        break;
      case 'epochEnd':
        bar?.stop();
        bar = null;
        out(`Epoch ${p.epoch + 1}/${p.epochs} - ${duration(p.seconds)} - loss: ${p.loss.toFixed(4)} - accuracy: ${p.accuracy.toFixed(4)}` +
          (p.valLoss === null ? '' : ` - val_loss: ${p.valLoss.toFixed(4)} - val_accuracy: ${p.valAccuracy!.toFixed(4)}`) +
          (p.learningRate === null ? '' : ` - lr: ${p.learningRate.toExponential(2)}`));
        break;
      case 'note':
        out(p.text);
        break;
      case 'evaluate':
        out(`Evaluating on ${p.images.toLocaleString('en-US')} test images...`);
        break;
      case 'done':
        out(`Test accuracy: ${pct(p.testAccuracy)}, test loss: ${p.testLoss.toFixed(4)}`);
        break;
    }
  };
}
