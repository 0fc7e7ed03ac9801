// Loading a model for the commands: a model folder or a run folder, with what its model.json says of its
// input (the preprocessing images go through) and of its classes' names (see data/model-input.ts).

import { inputSpecOf, type InputSpec } from '../../data/model-input.js';
import { modelFromArtifacts, type Model } from '../../index.js';
import { readModelFiles } from '../../engine/io/files.js';
import { resolveModelDir } from '../../train/run-files.js';

export async function loadDigitModel(dir: string): Promise<{ model: Model; modelDir: string; runDir: string | null; spec: InputSpec }> {
  const { modelDir, runDir } = resolveModelDir(dir);
  const { modelJson, weightData, source } = await readModelFiles(modelDir);
  const model = modelFromArtifacts(modelJson, weightData, source);
  if (model.outputShape.length !== 1) throw new Error(`${dir}: the model outputs [null,${model.outputShape}]; digitnet needs a classifier's [null,classes]`);
  const spec = inputSpecOf(model, modelJson.userDefinedMetadata, source);
  return { model, modelDir, runDir, spec };
}
