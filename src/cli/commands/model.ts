// Loading a model for the commands: a model folder or a run folder, checked to take 28x28x1 images and
// give 10 classes.

import { loadModel, type Model } from '../../index.js';
import { resolveModelDir } from '../../train/run-files.js';

export async function loadDigitModel(dir: string): Promise<{ model: Model; modelDir: string; runDir: string | null }> {
  const { modelDir, runDir } = resolveModelDir(dir);
  const model = await loadModel(modelDir);
  const s = model.inputShape;
  if (s.length !== 3 || s[0] !== 28 || s[1] !== 28 || s[2] !== 1 || model.outputShape[0] !== 10) {
    throw new Error(`${dir}: the model takes [${s.join(',')}] and gives ${model.outputShape[0]} classes; digitnet needs 28x28x1 images and 10 classes`);
  }
  return { model, modelDir, runDir };
}
