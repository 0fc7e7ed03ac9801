// digitnet for Node: the engine, with the fastest backend that loads here (the native addon, else the
// TypeScript reference backend), said once on stderr; model files on disk; MNIST and image data.
// Browsers import `src/engine/index.js` instead, which runs on the reference backend.

import { announceBackend } from './engine/backends/select.js';

export * from './engine/index.js';
export { announceBackend, selectBackend, describeBackend } from './engine/backends/select.js';
export { loadNativeBackend } from './engine/backends/native/index.js';
export { saveModel, loadModel } from './engine/io/files.js';
export { modelFromArtifacts, modelToArtifacts } from './engine/io/artifacts.js';
export { loadMnist, embeddedMnistDir, readIdxFile } from './data/mnist.js';
export { imagesTensor, labelsTensor, oneHotTensor, oneHot } from './data/tensors.js';
export { parseIdx, idxImageSet, type ImageSet } from './data/idx.js';
export { ZOO, ZOO_NAMES, lenet5, resnet20, seedCnn, vgg, zooModel, type ZooOptions } from './train/zoo/index.js';
export { readNumber, type DigitModel, type NumberReading, type ReadDigit, type ReadOptions } from './read/index.js';

announceBackend();
