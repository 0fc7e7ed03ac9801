// Transfer learning (`digitnet train --from RUN_DIR --freeze UNTIL_LAYER --data NEW_DATA`): start from a
// trained model, replace its classifier head when the new data has another number of classes, freeze the
// layers up to and including UNTIL_LAYER (a frozen layer gets no weight gradient and no update, and a frozen
// BatchNormalization normalizes with its moving statistics), train the rest, and optionally unfreeze for a
// few fine-tuning epochs at a lower rate (`--fine-tune-epochs N --fine-tune-lr X`). Batch normalization stays
// frozen while fine-tuning, as Keras's transfer-learning guide advises: its statistics, re-estimated on a
// small new set, would undo what the frozen layers learned. Node-only (loads the run's model).

import { BatchNormalization } from '../engine/layers/batch-norm.js';
import { adam, type Model } from '../engine/index.js';
import { loadModel } from '../engine/io/files.js';
import { modelFromTopology, topologyOf } from '../engine/io/topology.js';
import { sizeOf } from '../engine/tensor.js';
import { resolveModelDir, type HistoryJson, type TransferJson } from './run-files.js';

export interface TransferOptions {
  /** A run folder or model folder to start from (its architecture and weights). */
  from?: string;
  /** Freeze the layers up to and including this one (model.layers order). */
  freeze?: string;
  /** After training, unfreeze (all but BatchNormalization) and train this many more epochs. */
  fineTuneEpochs?: number;
  /** The learning rate of those epochs (default: a tenth of --lr). */
  fineTuneLr?: number;
}

/** What run.json records of a transfer, and the lines said about it. */
export interface TransferRecord extends TransferJson {
  notes: string[];
}

/** Checks the transfer options where they arrive, naming the option. */
export function checkTransferOptions(o: TransferOptions): void {
  if (!o.from) {
    const stray = o.freeze !== undefined ? '--freeze' : o.fineTuneEpochs !== undefined ? '--fine-tune-epochs' : o.fineTuneLr !== undefined ? '--fine-tune-lr' : null;
    if (stray) throw new Error(`${stray} needs --from RUN_DIR (the trained model to start from)`);
  }
  if (o.fineTuneEpochs !== undefined && !(Number.isInteger(o.fineTuneEpochs) && o.fineTuneEpochs >= 0)) throw new Error(`--fine-tune-epochs must be a whole number of at least 0, got ${o.fineTuneEpochs}`);
  if (o.fineTuneLr !== undefined && !(o.fineTuneLr > 0 && Number.isFinite(o.fineTuneLr))) throw new Error(`--fine-tune-lr must be a positive number, got ${o.fineTuneLr}`);
  if (o.fineTuneLr !== undefined && !o.fineTuneEpochs) throw new Error('--fine-tune-lr needs --fine-tune-epochs N (how many epochs to fine-tune)');
}

/** The model of a run folder or model folder, for --from, with --freeze's layer checked (before any data is read). */
export async function loadTransferSource(o: TransferOptions): Promise<Model> {
  const { modelDir } = resolveModelDir(o.from!);
  const model = await loadModel(modelDir);
  // A model saved after a transfer marks its frozen layers: here only --freeze freezes.
  for (const l of model.layers) l.trainable = true;
  if (o.freeze !== undefined) frozenBy(model, o.freeze);
  return model;
}

/**
 * The --from model made ready for data of this input shape and class count: the head replaced when the
 * class counts differ, and the layers up to `o.freeze` frozen.
 */
export function transferModel(source: Model, o: TransferOptions, shape: number[], classes: number, seed: number): { model: Model; record: TransferRecord } {
  const from = o.from!;
  if (source.inputShape.join() !== shape.join()) {
    const [h, w, c] = source.inputShape;
    throw new Error(`--from ${from}: the model takes input [null,${source.inputShape}], the data is [null,${shape}]; give --image-size ${h === w ? h : `${h} (square images only)`} --channels ${c} to make the images so`);
  }
  const sourceClasses = source.outputShape[0];
  const model = sourceClasses === classes ? source : replaceHead(source, classes, seed, from);
  const frozen = o.freeze === undefined ? [] : freezeUntil(model, o.freeze);
  const head = model.outputLayer.name;
  const record: TransferRecord = {
    from, sourceInputShape: [...source.inputShape], sourceClasses,
    headReplaced: model === source ? null : { layer: head, fromClasses: sourceClasses, toClasses: classes },
    frozen, fineTune: null, notes: [],
  };
  const counts = model.countParams();
  record.notes.push(
    `Transfer from ${from}: ${record.headReplaced ? `new head '${head}' (${sourceClasses} → ${classes} classes)` : `head '${head}' kept (${classes} classes)`}` +
    `; ${frozen.length ? `frozen up to '${o.freeze}' (${frozen.length} layers)` : 'no layer frozen'}; ${counts.trainable.toLocaleString('en-US')} of ${counts.total.toLocaleString('en-US')} parameters train`,
  );
  return { model, record };
}

/**
 * A copy of `model` whose output Dense layer has `classes` units, freshly initialized from `seed`; every other
 * weight (and BatchNormalization's statistics) is the model's own.
 */
export function replaceHead(model: Model, classes: number, seed: number, from = 'the model'): Model {
  const head = model.outputLayer;
  if (head.className !== 'Dense') {
    throw new Error(`--from ${from}: the output layer '${head.name}' is a ${head.className}, not a Dense layer; only a Dense head can be replaced for ${classes} classes`);
  }
  const topology = topologyOf(model);
  const entries = (topology.config as { layers: { name?: string; config: Record<string, unknown> }[] }).layers;
  const entry = entries.find((e) => (e.name ?? e.config.name) === head.name)!;
  entry.config = { ...entry.config, units: classes };
  const fresh = modelFromTopology(topology, `--from ${from}`, null, seed);
  const old = new Map(model.weightSpecs.map((s) => [s.name, s]));
  for (const s of fresh.weightSpecs) {
    const o = old.get(s.name);
    if (!o || s.layer.name === head.name) continue;
    fresh.params.set(model.params.subarray(o.offset, o.offset + sizeOf(o.shape)), s.offset);
  }
  return fresh;
}

/** Freezes the layers up to and including `until`; returns their names. */
export function freezeUntil(model: Model, until: string): string[] {
  const layers = frozenBy(model, until);
  for (const l of layers) l.trainable = false;
  return layers.map((l) => l.name);
}

/** The layers up to and including `until`, checked: it must exist, and some layer with weights must be left to train. */
function frozenBy(model: Model, until: string): Model['layers'] {
  const names = model.layers.map((l) => l.name);
  const at = names.indexOf(until);
  if (at < 0) throw new Error(`--freeze ${until}: the model has no layer '${until}'; its layers are ${names.join(', ')}`);
  if (!model.layers.slice(at + 1).some((l) => l.paramSpecs().some((p) => p.trainable))) {
    throw new Error(`--freeze ${until}: that freezes every layer with weights, so nothing would train; name an earlier layer (the layers are ${names.join(', ')})`);
  }
  return model.layers.slice(0, at + 1);
}

/**
 * After the first training: the fine-tuning epochs when --fine-tune-epochs asks for them (recorded in the
 * transfer record), else the history as it is. `fit(epochs, learningRate)` trains the model as the run does.
 */
export async function fineTunePhase(
  fitted: { model: Model; transfer: TransferRecord | null }, history: HistoryJson, o: TransferOptions, learningRate: number,
  fit: (epochs: number, learningRate: number) => Promise<HistoryJson>, say: (text: string) => unknown,
): Promise<HistoryJson> {
  if (!o.fineTuneEpochs || !fitted.transfer) return history;
  const ft = { epochs: o.fineTuneEpochs, learningRate: o.fineTuneLr ?? learningRate / 10 };
  fitted.transfer.fineTune = ft;
  await say(`Fine-tuning for ${ft.epochs} epochs at learning rate ${ft.learningRate}: every layer trains but BatchNormalization, which stays frozen`);
  return fineTune(fitted.model, history, ft, () => fit(ft.epochs, ft.learningRate));
}

/**
 * The fine-tuning phase: every frozen layer but BatchNormalization unfrozen, a new Adam at `learningRate`,
 * more epochs through `fit`; returns the whole history (the new epochs numbered after the first).
 */
export async function fineTune(model: Model, history: HistoryJson, o: { epochs: number; learningRate: number }, fit: () => Promise<HistoryJson>): Promise<HistoryJson> {
  for (const l of model.layers) if (!(l instanceof BatchNormalization)) l.trainable = true;
  model.compile({ optimizer: adam({ learningRate: o.learningRate }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const more = await fit();
  const first = history.epoch.length;
  return {
    epoch: [...history.epoch, ...more.epoch.map((e) => e + first)],
    loss: [...history.loss, ...more.loss],
    accuracy: [...history.accuracy, ...more.accuracy],
    val_loss: [...history.val_loss, ...more.val_loss],
    val_accuracy: [...history.val_accuracy, ...more.val_accuracy],
    seconds: [...history.seconds, ...more.seconds],
  };
}
