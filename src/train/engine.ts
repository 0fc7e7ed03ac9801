// The engine as the command line and training runs use it: the package's Node entry point, which picks
// the fastest backend that loads here (the native addon, else the TypeScript reference backend).

export { adam, seedCnn, Tensor, getBackend, loadModel, saveModel, type Sequential } from '../index.js';
