// model.json's modelTopology ↔ a graph of layers. Sequential models are written as TensorFlow.js writes them
// (a layer list, the first carrying batch_input_shape); graph models as Keras's Functional class, each layer
// with its inbound_nodes. Reads Sequential, Functional and Model (TensorFlow.js's name), in Keras 2's node
// format and Keras 3's. Every layer class comes from the registry; an unknown one is an error that lists
// what is supported.

import { Model } from '../graph/model.js';
import { Sequential } from '../graph/sequential.js';
import type { SymbolicTensor } from '../graph/symbolic.js';
import '../layers/index.js'; // registers every layer class
import { InputLayer } from '../layers/input-layer.js';
import type { Layer, LayerConfig } from '../layers/layer.js';
import { layerFactory, supportedLayerClasses } from '../layers/registry.js';
import { checkLayerParams, type WeightsOffered } from './budget.js';
import { located } from './located.js';

type Json = Record<string, unknown>;

const KERAS_VERSION = 'tfjs-layers 4.22.0';

/** The modelTopology object for `model`. */
export function topologyOf(model: Model): Json {
  if (model instanceof Sequential) {
    const layers = model.layers.map((l, i) => ({ class_name: l.className, config: layerConfig(l, i === 0 ? model.inputShape : null) }));
    return { class_name: 'Sequential', config: { name: model.name, layers }, keras_version: KERAS_VERSION, backend: 'tensor_flow.js' };
  }
  const layers = model.layers.map((l) => ({
    name: l.name,
    class_name: l.className,
    config: l instanceof InputLayer ? { ...l.config(), name: l.name } : layerConfig(l, null),
    inbound_nodes: l instanceof InputLayer ? [] : [l.output!.inputs.map((t) => [t.producer.name, 0, 0, {}])],
  }));
  const input = model.layers.find((l) => l instanceof InputLayer)!;
  return {
    class_name: 'Functional',
    config: { name: model.name, layers, input_layers: [[input.name, 0, 0]], output_layers: [[model.outputLayer.name, 0, 0]] },
    keras_version: KERAS_VERSION,
    backend: 'tensor_flow.js',
  };
}

function layerConfig(l: Layer, inputShape: number[] | null): Json {
  return {
    ...l.config(),
    name: l.name,
    trainable: l.trainable,
    ...(inputShape ? { batch_input_shape: [null, ...inputShape] } : {}),
    dtype: 'float32',
  };
}

/**
 * Builds the model a modelTopology describes (weights initialized from `seed`; a loader then sets them).
 * `offered` lists the weights the manifest offers: layers that need others are refused before the model
 * allocates anything, so a small file cannot ask for gigabytes. null: an architecture without weights, held to
 * the limit of budget.ts.
 */
export function modelFromTopology(topology: Json, source: string, offered: WeightsOffered, seed = 0): Model {
  const className = topology.class_name;
  const cfg = topology.config as Json | unknown[];
  if (className === 'Sequential') return sequentialFrom(cfg, source, offered, seed);
  if (className === 'Functional' || className === 'Model') return functionalFrom(cfg as Json, source, offered, seed);
  throw new Error(`${source}: model class ${show(className)} is not supported (Sequential, Functional and Model are)`);
}

/** A layer from its {class_name, config} entry, via the registry. */
function buildLayer(entry: unknown, where: string): Layer {
  const e = entry as { class_name?: unknown; config?: unknown };
  if (!e || typeof e.class_name !== 'string' || typeof e.config !== 'object' || e.config === null) {
    throw new Error(`${where}: expected {class_name, config}`);
  }
  const c = e.config as LayerConfig;
  const at = `${where} (${show(c.name ?? e.class_name)}, ${e.class_name})`;
  const factory = layerFactory(e.class_name);
  if (!factory) throw new Error(`${at}: layer class ${e.class_name} is not supported; supported: ${supportedLayerClasses().join(', ')}`);
  const layer = located(at, () => factory(c, at));
  if (c.trainable === false) layer.trainable = false;
  return layer;
}

function sequentialFrom(cfg: Json | unknown[], source: string, offered: WeightsOffered, seed: number): Sequential {
  const entries = (Array.isArray(cfg) ? cfg : (cfg as Json | null)?.layers) as unknown[];
  if (!Array.isArray(entries) || entries.length === 0) throw new Error(`${source}: modelTopology holds no layers`);
  const name = Array.isArray(cfg) ? 'sequential' : nameOf((cfg as Json).name, 'sequential');
  const layers: Layer[] = [];
  let inputShape: number[] | undefined;
  entries.forEach((entry, i) => {
    const e = entry as { class_name?: string; config?: LayerConfig };
    if (e?.class_name === 'InputLayer') {
      inputShape = batchShape(e.config ?? {}, `${source}: layer ${i} (InputLayer)`);
      return;
    }
    layers.push(buildLayer(entry, `${source}: layer ${i}`));
  });
  if (layers.length === 0) throw new Error(`${source}: modelTopology holds no layers besides its input`);
  if (inputShape && !layers[0].inputShape) layers[0].inputShape = inputShape;
  if (!layers[0].inputShape) throw new Error(`${source}: the first layer declares no batch_input_shape`);
  let shape: number[] = layers[0].inputShape;
  for (const [i, l] of layers.entries()) shape = located(`${source}: layer ${i} ('${l.name || l.className}', ${l.className})`, () => l.build([shape])); // shapes only; the model applies them again
  checkLayerParams(layers, offered, source);
  return located(source, () => new Sequential(layers, { name, seed }));
}

function batchShape(c: LayerConfig, at: string): number[] {
  const s = (c.batch_input_shape ?? c.batch_shape) as (number | null)[] | undefined;
  if (!Array.isArray(s) || s.length < 2) throw new Error(`${at}: no batch_input_shape`);
  return s.slice(1) as number[];
}

interface GraphEntry {
  name: string;
  layer: Layer | null;
  inputShape: number[] | null;
  inbound: string[];
}

function functionalFrom(cfg: Json, source: string, offered: WeightsOffered, seed: number): Model {
  const entries = (cfg as Json | null)?.layers as unknown[];
  if (!Array.isArray(entries) || entries.length === 0) throw new Error(`${source}: modelTopology holds no layers`);
  const graph = new Map<string, GraphEntry>();
  entries.forEach((raw, i) => {
    const e = raw as { name?: string; class_name?: string; config?: LayerConfig; inbound_nodes?: unknown };
    const where = `${source}: layer ${i}`;
    const name = nameOf(e?.name ?? e?.config?.name, '');
    if (!name) throw new Error(`${where}: a graph layer needs a name`);
    if (graph.has(name)) throw new Error(`${where}: two layers are named '${name}'`);
    const isInput = e.class_name === 'InputLayer';
    graph.set(name, {
      name,
      layer: isInput ? null : buildLayer(e, where),
      inputShape: isInput ? batchShape(e.config ?? {}, `${where} (InputLayer '${name}')`) : null,
      inbound: isInput ? [] : inboundNames(e.inbound_nodes, `${where} ('${name}')`),
    });
  });
  const inputs = endpoints(cfg.input_layers, 'input_layers', source);
  const outputs = endpoints(cfg.output_layers, 'output_layers', source);
  const tensors = new Map<string, SymbolicTensor>();
  const visiting = new Set<string>();
  const resolve = (name: string, from: string): SymbolicTensor => {
    const done = tensors.get(name);
    if (done) return done;
    const g = graph.get(name);
    if (!g) throw new Error(`${source}: layer '${from}' reads '${name}', which is not a layer of the model`);
    if (visiting.has(name)) throw new Error(`${source}: the graph has a cycle through layer '${name}'`);
    visiting.add(name);
    let t: SymbolicTensor;
    if (g.inputShape) {
      if (name !== inputs[0]) throw new Error(`${source}: layer '${from}' reads input '${name}', which is not the model's input '${inputs[0]}'`);
      t = new InputLayer({ shape: g.inputShape, name }).output!;
    } else {
      if (g.inbound.length === 0) throw new Error(`${source}: layer '${name}' has no inbound nodes; it is not connected to the input`);
      g.layer!.name = name;
      const ins = g.inbound.map((n) => resolve(n, name));
      t = located(`${source}: layer '${name}' (${g.layer!.className})`, () => g.layer!.apply(ins.length === 1 ? ins[0] : ins));
    }
    visiting.delete(name);
    tensors.set(name, t);
    return t;
  };
  if (!graph.get(inputs[0])?.inputShape) throw new Error(`${source}: input_layers names '${inputs[0]}', which is not an InputLayer of the model`);
  const output = resolve(outputs[0], 'output_layers');
  const input = resolve(inputs[0], 'input_layers');
  checkLayerParams([...graph.values()].flatMap((g) => (g.layer?.output ? [g.layer] : [])), offered, source);
  return located(source, () => new Model({ inputs: input, outputs: output, name: nameOf(cfg.name, 'model'), seed }));
}

/** [["name", 0, 0], ...] → the one name; digitnet models have one input and one output. */
function endpoints(v: unknown, key: string, source: string): string[] {
  const list = Array.isArray(v) && v.length > 0 && !Array.isArray(v[0]) ? [v] : (v as unknown[]);
  if (!Array.isArray(list) || list.length !== 1 || !Array.isArray(list[0]) || typeof list[0][0] !== 'string') {
    throw new Error(`${source}: ${key} must name exactly one layer (digitnet models have one input and one output), got ${JSON.stringify(v)}`);
  }
  return [list[0][0] as string];
}

/** The names of the layers a layer reads, from Keras 2's [[[name, 0, 0, {}], ...]] or Keras 3's {args: [...]}. */
function inboundNames(nodes: unknown, at: string): string[] {
  if (!Array.isArray(nodes) || nodes.length === 0) return [];
  if (nodes.length > 1) throw new Error(`${at}: the layer is applied ${nodes.length} times; shared layers are not supported`);
  const node = nodes[0] as unknown;
  if (Array.isArray(node)) {
    return node.map((ref) => {
      if (!Array.isArray(ref) || typeof ref[0] !== 'string') throw new Error(`${at}: malformed inbound node ${JSON.stringify(ref)}`);
      if (ref[1] !== 0 || ref[2] !== 0) throw new Error(`${at}: reads node ${ref[1]} / tensor ${ref[2]} of '${ref[0]}'; shared layers are not supported`);
      return ref[0];
    });
  }
  const args = (node as { args?: unknown[] })?.args;
  const refs: string[] = [];
  const collect = (a: unknown): void => {
    if (Array.isArray(a)) return a.forEach(collect);
    const h = (a as { config?: { keras_history?: unknown[] } })?.config?.keras_history;
    if (Array.isArray(h) && typeof h[0] === 'string') refs.push(h[0]);
  };
  collect(args);
  if (refs.length === 0) throw new Error(`${at}: malformed inbound node ${JSON.stringify(node).slice(0, 200)}`);
  return refs;
}

/** A value from the file, quoted for an error message (whatever its type). */
function show(v: unknown): string {
  try {
    return JSON.stringify(v)?.slice(0, 80) ?? typeof v;
  } catch {
    return typeof v;
  }
}

/** A name from the file: a string, else the fallback. */
function nameOf(v: unknown, fallback: string): string {
  return typeof v === 'string' ? v : fallback;
}
