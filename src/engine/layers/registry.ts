// The layer registry: each layer file registers its Keras class name(s) and how to build the layer from a
// model.json config. The loader looks classes up here; adding a layer never edits a switch elsewhere.

import type { Layer, LayerConfig } from './layer.js';

/** Builds a layer from its Keras config; `at` names the place in the file for error messages. */
export type LayerFactory = (config: LayerConfig, at: string) => Layer;

const factories = new Map<string, LayerFactory>();

/** Registers a layer class under its Keras name and any aliases (e.g. MaxPool2D for MaxPooling2D). */
export function registerLayer(names: string | string[], factory: LayerFactory): void {
  for (const n of Array.isArray(names) ? names : [names]) factories.set(n, factory);
}

export function layerFactory(className: string): LayerFactory | undefined {
  return factories.get(className);
}

/** The Keras class names the loader understands, sorted, for error messages. */
export function supportedLayerClasses(): string[] {
  return [...factories.keys(), 'InputLayer'].sort();
}
