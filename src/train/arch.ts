// The architecture a training run builds: a zoo name (seed, lenet5, vgg, resnet20) or the path of a
// TensorFlow.js/Keras Layers model.json whose topology is made of supported layers (its weights, if any,
// are not used: the run trains from a fresh initialization). Node-only (reads the file).

import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Model } from '../engine/index.js';
import { modelFromTopology } from '../engine/io/topology.js';
import { ZOO, ZOO_NAMES, zooModel, type ZooOptions } from './zoo/index.js';

/** The largest architecture file read (a topology is a few kilobytes; anything this big is not one). */
const MAX_TOPOLOGY_BYTES = 8 << 20;

export function isZooName(arch: string): boolean {
  return Object.hasOwn(ZOO, arch);
}

/** Builds `arch` with the given seed (and, for zoo names, input shape and class count). */
export function buildArch(arch: string, o: ZooOptions = {}): Model {
  if (isZooName(arch)) return zooModel(arch, o);
  if (!/\.json$/i.test(arch) && !existsSync(arch)) {
    throw new Error(`--arch: unknown architecture '${arch}'; choose one of ${ZOO_NAMES.join(', ')}, or give the path of a model.json`);
  }
  const path = resolve(arch);
  if (!existsSync(path)) throw new Error(`--arch: ${path} does not exist`);
  const st = statSync(path);
  if (!st.isFile()) throw new Error(`--arch: ${path} is not a file (give a model.json)`);
  if (st.size > MAX_TOPOLOGY_BYTES) throw new Error(`--arch: ${path} is ${st.size} bytes, more than a model topology's limit of ${MAX_TOPOLOGY_BYTES}`);
  let json: { modelTopology?: Record<string, unknown>; class_name?: unknown };
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`--arch: ${path} is not valid JSON (${(e as Error).message})`);
  }
  // A whole model.json, or just its modelTopology (what Keras's model.to_json() writes).
  const topology = (json?.modelTopology ?? json) as Record<string, unknown>;
  const inner = (topology?.model_config ?? topology) as Record<string, unknown>;
  if (!inner || typeof inner.class_name !== 'string') throw new Error(`--arch: ${path} holds no model topology (no class_name)`);
  return modelFromTopology(inner, path, null, o.seed ?? 0);
}
