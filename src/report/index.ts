// Builds a run's figures (SVG and PNG, in figures/) and its report.html from the run's files alone, so
// `digitnet report RUN_DIR` can rebuild them at any time. Node-only.

import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { namesAreIndices } from '../data/model-input.js';
import { readRunFiles, type RunFiles } from '../train/run-files.js';
import { confusionSpec, curveSpec, learningRateSpec, perClassSpec } from './charts.js';
import { explainMistakes } from './explanations.js';
import { augmentedGridSvg, imageGridSvg } from './grids.js';
import { reportHtml, type Figure } from './html.js';
import { specToSvg, svgToPng } from './render.js';

export const FIGURES_DIR = 'figures';
/** The figures of a trained run; an augmented run adds 'augmented', and an ensemble (no training) has no curves. */
export const FIGURE_NAMES = ['loss', 'accuracy', 'learning-rate', 'confusion', 'per-class', 'samples', 'misclassified', 'explanations'] as const;

export interface ReportResult {
  html: string;
  figures: { name: string; svg: string; png: string }[];
}

/** Builds the figures and report.html in `runDir`; `name` is the run's name shown (default: the folder's name). */
export async function buildReport(runDir: string, o: { name?: string } = {}): Promise<ReportResult> {
  const dir = resolve(runDir);
  const f = readRunFiles(runDir);
  const t = f.metrics.test;
  const names = namedClasses(f);
  const figures = new Map<string, Figure>();
  const add = (name: string, title: string, svg: string): void => void figures.set(name, { name, title, svg });
  if (f.history.epoch.length > 0) {
    add('loss', 'Loss per epoch', await specToSvg(curveSpec(f.history, 'loss')));
    add('accuracy', 'Accuracy per epoch', await specToSvg(curveSpec(f.history, 'accuracy')));
    add('learning-rate', 'Learning rate per epoch', await specToSvg(learningRateSpec(f.history, f.run.hyperparameters)));
  }
  add('confusion', 'Confusion matrix', await specToSvg(confusionSpec(t.confusionMatrix, names)));
  add('per-class', 'Per-class precision, recall and F1', await specToSvg(perClassSpec(t.perClass, names)));
  add('samples', 'Sample test predictions', imageGridSvg(`Sample test predictions (first ${f.samples.samples.length} test images)`, f.samples.samples, 'samples', names));
  if (f.samples.augmented?.length) add('augmented', 'Augmented training images', augmentedGridSvg(f.samples.augmented, f.run.hyperparameters.augment ?? ''));
  add('misclassified', 'Misclassified test images', imageGridSvg(`Misclassified test images (${f.samples.misclassified.length} most confident of ${f.samples.misclassifiedTotal})`, f.samples.misclassified, 'misclassified', names));
  const why = await explainMistakes(dir, f.samples.misclassified, names);
  if ('svg' in why) add('explanations', 'Why the model got these wrong: saliency and Grad-CAM', why.svg);
  const written = await writeFigures(dir, figures);
  const html = join(dir, 'report.html');
  await writeFile(html, reportHtml(o.name ?? basename(dir), f, figures, 'svg' in why ? why : null, 'missing' in why ? why.missing : null));
  return { html, figures: written };
}

/** The run's class names when they are more than the indices (a digit run's figures show the digits). */
export function namedClasses(f: RunFiles): string[] | undefined {
  const names = f.run.data.classNames;
  return names && !namesAreIndices(names) ? names : undefined;
}

/** Writes each figure as SVG and PNG into `dir`/figures/ (run reports and study reports alike). */
export async function writeFigures(dir: string, figures: Map<string, Figure>): Promise<ReportResult['figures']> {
  const figDir = join(dir, FIGURES_DIR);
  await mkdir(figDir, { recursive: true });
  const written: ReportResult['figures'] = [];
  for (const g of figures.values()) {
    const svg = join(figDir, `${g.name}.svg`);
    const png = join(figDir, `${g.name}.png`);
    await writeFile(svg, g.svg);
    await writeFile(png, svgToPng(g.svg));
    written.push({ name: g.name, svg, png });
  }
  return written;
}
