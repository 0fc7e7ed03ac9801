// The model behind the API: loaded once, with the bytes the page fetches (one model.json, one weights
// file) and the description `GET /api/model` returns. Predictions take MNIST-form pixels (784 values
// 0..1, white ink on black, 28x28 row-major), the same input the page feeds its copy of the model, and run
// in the batching inference worker (inference.ts).

import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Model } from '../engine/graph/model.js';
// The engine's entry registers the reference backend as the default; Node's entry (src/index.ts), when
// loaded, installs the native one instead.
import '../engine/index.js';
import { modelFromArtifacts, WEIGHTS_FILE, type ModelJson } from '../engine/io/artifacts.js';
import { readModelFiles } from '../engine/io/files.js';
import { resolveModelDir } from '../train/run-files.js';
import { BatchingInference, type InferenceOptions } from './inference.js';

export interface Prediction {
  label: number;
  probabilities: number[];
}

export interface ModelInfo {
  name: string;
  inputShape: number[];
  classes: number;
  totalParams: number;
  layers: { name: string; className: string; outputShape: (number | null)[]; params: number }[];
  backend: string;
  /** Test-set accuracy from the run's metrics.json, or null when the model has no run. */
  testAccuracy: number | null;
  testExamples: number | null;
  /** Where the run's report is served, or null when there is none. */
  reportUrl: string | null;
  run: string | null;
}

export class ServedModel {
  readonly model: Model;
  readonly runDir: string | null;
  readonly hasReport: boolean;
  /** model.json as the page fetches it: one weights file, named WEIGHTS_FILE. */
  readonly modelJsonText: string;
  readonly weightBytes: Buffer;
  readonly info: ModelInfo;

  private constructor(model: Model, runDir: string | null, modelJson: ModelJson, weights: ArrayBuffer, private readonly inference: BatchingInference) {
    this.model = model;
    this.runDir = runDir;
    this.hasReport = runDir !== null && existsSync(join(runDir, 'report.html'));
    const weightsList = modelJson.weightsManifest.flatMap((g) => g.weights);
    this.modelJsonText = JSON.stringify({ ...modelJson, weightsManifest: [{ paths: [WEIGHTS_FILE], weights: weightsList }] });
    this.weightBytes = Buffer.from(weights);
    this.info = { ...describe(model, runDir, this.hasReport), backend: inference.backend };
  }

  /** Loads a model folder or a run folder (see resolveModelDir) and starts its inference worker. */
  static async load(dir: string, o: InferenceOptions = {}): Promise<ServedModel> {
    const { modelDir, runDir } = resolveModelDir(dir);
    const { modelJson, weightData, source } = await readModelFiles(modelDir);
    const model = modelFromArtifacts(modelJson, weightData, source);
    const shape = model.inputShape;
    if (shape.length !== 3 || shape[0] !== 28 || shape[1] !== 28 || shape[2] !== 1 || model.outputShape[0] !== 10) {
      throw new Error(`${source}: the model takes [${shape}] and gives ${model.outputShape[0]} classes; serving needs a 28x28x1 input and 10 digit classes`);
    }
    const inference = await BatchingInference.start(modelJson, weightData, o);
    return new ServedModel(model, runDir, modelJson, weightData, inference);
  }

  /** Class probabilities for one 28x28 image of values 0..1, from the inference worker. */
  async predict(pixels: Float32Array): Promise<Prediction> {
    const p = await this.inference.predict(pixels);
    let label = 0;
    for (let i = 1; i < p.length; i++) if (p[i] > p[label]) label = i;
    return { label, probabilities: Array.from(p, (v) => Number(v.toFixed(6))) };
  }

  /** Batch sizes the inference worker has run (most recent last). */
  get batchSizes(): readonly number[] {
    return this.inference.batchSizes;
  }

  /** Stops the inference worker. */
  close(): Promise<void> {
    return this.inference.close();
  }
}

function describe(model: Model, runDir: string | null, hasReport: boolean): ModelInfo {
  const { rows, totalParams } = model.summary(null);
  const test = runDir ? readTestMetrics(join(runDir, 'metrics.json')) : null;
  return {
    name: model.name,
    inputShape: [...model.inputShape],
    classes: model.outputShape[0],
    totalParams,
    layers: rows,
    backend: model.backend.name,
    testAccuracy: test?.accuracy ?? null,
    testExamples: test?.examples ?? null,
    reportUrl: hasReport ? '/report/' : null,
    run: runDir ? basename(runDir) : null,
  };
}

/** `test.accuracy` (and the example count when present) from a run's metrics.json; null when absent. */
function readTestMetrics(path: string): { accuracy: number; examples: number | null } | null {
  if (!existsSync(path)) return null;
  let m: { test?: { accuracy?: unknown; count?: unknown; examples?: unknown; n?: unknown } };
  try {
    m = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const acc = m.test?.accuracy;
  if (typeof acc !== 'number') return null;
  const n = [m.test?.count, m.test?.examples, m.test?.n].find((v) => typeof v === 'number') as number | undefined;
  return { accuracy: acc, examples: n ?? null };
}
