// Bundled into a module Web Worker by wasm-browser.test.ts: the worker chooses its backend as the page
// does (src/web/backend.ts, no DOM), then trains the seed CNN one step on it and reports what ran.

import { adam, Tensor } from '../../src/engine/index.js';
import { seedCnn } from '../../src/train/zoo/index.js';
import { chooseBackend } from '../../src/web/backend.js';

// globalThis is the worker's scope (and, when `node --test` loads this file, a harmless stand-in).
const scope = globalThis as unknown as { onmessage: (() => void) | null; postMessage(message: unknown): void };

scope.onmessage = () => {
  void chooseBackend().then(({ backend, label }) => {
    const model = seedCnn({ seed: 1 });
    model.compile({ optimizer: adam({ learningRate: 1e-3 }), loss: 'categoricalCrossentropy' });
    const x = new Tensor(new Float32Array(8 * 784).map((_, i) => (i % 7) / 7), [8, 28, 28, 1]);
    const y = new Tensor(new Float32Array(80).map((_, i) => (i % 10 === Math.floor(i / 10) % 10 ? 1 : 0)), [8, 10]);
    const loss = model.trainStep(x, y);
    scope.postMessage({ backend: backend.name, label, modelBackend: model.backend.name, loss, inWorker: typeof document === 'undefined' });
  });
};
