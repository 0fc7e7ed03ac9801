// The teach mode's Web Worker: fine-tunes the page's model on the user's samples off the main thread, so
// the page never freezes. It chooses its backend as the page does (backend.ts), builds the model from the
// artifacts it is sent, measures the held-out samples before and after fineTune, and sends the personal
// model back as TF.js artifacts (model.json's object and the weight bytes, transferred, not copied).

import { Tensor, type Model } from '../engine/index.js';
import { modelFromArtifacts, modelToArtifacts } from '../engine/io/artifacts.js';
import { fineTune } from '../train/fine-tune.js';
import { chooseBackend } from './backend.js';
import type { TeachRequest, TeachReply } from './teach-protocol.js';

// The worker's own scope (typed by hand: the project compiles with the DOM library, not WebWorker's).
const scope = globalThis as unknown as {
  onmessage: ((e: { data: TeachRequest }) => void) | null;
  postMessage(message: TeachReply, transfer?: Transferable[]): void;
};

scope.onmessage = (e) => {
  void train(e.data).catch((err: unknown) => scope.postMessage({ type: 'error', message: (err as Error).message }));
};

async function train(req: TeachRequest): Promise<void> {
  const backend = (await chooseBackend()).label;
  const model = modelFromArtifacts(req.modelJson, req.weightData, 'the page model');
  const before = correct(model, req.test.pixels, req.test.labels);
  const x = new Tensor(req.train.pixels, [req.train.labels.length, 28, 28, 1]);
  const r = await fineTune(model, x, req.train.labels, {
    seconds: req.seconds, trainLast: req.trainLast, seed: 1,
    onEpoch: (epoch, loss) => scope.postMessage({ type: 'progress', epoch, loss }),
  });
  const after = correct(model, req.test.pixels, req.test.labels);
  const { modelJson, weightData } = modelToArtifacts(model);
  scope.postMessage({
    type: 'done', modelJson, weightData, before, after, epochs: r.epochs, seconds: r.seconds,
    trained: r.trained, trainedParams: r.trainedParams, backend, inWorker: typeof document === 'undefined',
  }, [weightData]);
}

/** How many of the samples the model reads right (0 when there are none). */
function correct(model: Model, pixels: Float32Array, labels: number[]): number {
  if (labels.length === 0) return 0;
  const p = model.predict(new Tensor(pixels, [labels.length, 28, 28, 1])).argMax();
  return labels.filter((l, i) => p[i] === l).length;
}
