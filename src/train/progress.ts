// What a training run reports as it goes: the data loaded, each epoch and batch, notes, the evaluation and
// the end. The CLI prints these (cli/progress.ts); the server logs them.

export type Progress =
  | { type: 'data'; train: number; validation: number; test: number; trainSource: string; testSource: string; seconds: number }
  | { type: 'epochBegin'; epoch: number; epochs: number; batches: number }
  | { type: 'batch'; epoch: number; epochs: number; batch: number; batches: number; loss: number; accuracy: number; imagesPerSecond: number; epochEtaSeconds: number; etaSeconds: number }
  | { type: 'epochEnd'; epoch: number; epochs: number; loss: number; accuracy: number; valLoss: number | null; valAccuracy: number | null; seconds: number; learningRate: number | null }
  | { type: 'evaluate'; images: number }
  | { type: 'note'; text: string }
  | { type: 'done'; runDir: string; testAccuracy: number; testLoss: number };

export type ProgressListener = (p: Progress) => void | Promise<void>;
