// The model behind the API: loaded once, with the bytes the page fetches (one model.json, one weights
// file) and the description `GET /api/model` returns. Predictions take the model's input (for a digit
// model MNIST-form pixels: 784 values 0..1, white ink on black, 28x28 row-major), the same input the page
// feeds its copy of the model, and run in the batching inference worker (inference.ts). Answers give the
// class index (`label`), its name (`className`, from model.json's metadata) and the top three classes.

import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Model } from '../engine/graph/model.js';
// The engine's entry registers the reference backend as the default; Node's entry (src/index.ts), when
// loaded, installs the native one instead.
import '../engine/index.js';
import { inputSpecOf, namedTop, type InputSpec, type NamedScore, type Preprocess } from '../data/model-input.js';
import { modelFromArtifacts, WEIGHTS_FILE, type ModelJson } from '../engine/io/artifacts.js';
import { readModelFiles } from '../engine/io/files.js';
import { resolveModelDir } from '../train/run-files.js';
import { BatchingInference, type InferenceOptions } from './inference.js';

export interface Prediction {
  label: number;
  className: string;
  probabilities: number[];
  top: NamedScore[];
}

export interface ModelInfo {
  name: string;
  inputShape: number[];
  classes: number;
  classNames: string[];
  /** How images become the model's input: MNIST's preprocessing or a plain resize. */
  preprocess: Preprocess;
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
  readonly spec: InputSpec;

  private constructor(model: Model, spec: InputSpec, runDir: string | null, modelJson: ModelJson, weights: ArrayBuffer, private readonly inference: BatchingInference) {
    this.model = model;
    this.spec = spec;
    this.runDir = runDir;
    this.hasReport = runDir !== null && existsSync(join(runDir, 'report.html'));
    const weightsList = modelJson.weightsManifest.flatMap((g) => g.weights);
    this.modelJsonText = JSON.stringify({ ...modelJson, weightsManifest: [{ paths: [WEIGHTS_FILE], weights: weightsList }] });
    this.weightBytes = Buffer.from(weights);
    this.info = { ...describe(model, runDir, this.hasReport), classNames: spec.classNames, preprocess: spec.preprocess, backend: inference.backend };
  }

  /** Loads a model folder or a run folder (see resolveModelDir) and starts its inference worker. */
  static async load(dir: string, o: InferenceOptions = {}): Promise<ServedModel> {
    const { modelDir, runDir } = resolveModelDir(dir);
    const { modelJson, weightData, source } = await readModelFiles(modelDir);
    const model = modelFromArtifacts(modelJson, weightData, source);
    if (model.outputShape.length !== 1) throw new Error(`${source}: the model outputs [null,${model.outputShape}]; serving needs a classifier's [null,classes]`);
    const spec = inputSpecOf(model, modelJson.userDefinedMetadata, source);
    const inference = await BatchingInference.start(modelJson, weightData, o, { pixels: spec.height * spec.width * spec.channels, classes: model.outputShape[0] });
    return new ServedModel(model, spec, runDir, modelJson, weightData, inference);
  }

  /** Class probabilities for one image as the model takes it (values 0..1), from the inference worker. */
  async predict(pixels: Float32Array): Promise<Prediction> {
    const p = await this.inference.predict(pixels);
    const top = namedTop(p, this.spec.classNames, 3).map((t) => ({ ...t, p: Number(t.p.toFixed(6)) }));
    return { label: top[0].index, className: top[0].className, probabilities: Array.from(p, (v) => Number(v.toFixed(6))), top };
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

function describe(model: Model, runDir: string | null, hasReport: boolean): Omit<ModelInfo, 'classNames' | 'preprocess'> {
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
