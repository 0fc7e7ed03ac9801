// Builds a study's figures (SVG and PNG, in figures/) and its report.html in the study's folder, from
// the study and its trials as the database holds them; also writes the best trial's own run report when
// its run folder is on this machine and has none yet (trials are trained without one). Node-only.

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { paramImportances } from '../tune/importance.js';
import { parseSpace } from '../tune/space.js';
import { bestTrial, type Study, type Trial } from '../tune/trial.js';
import type { Figure } from './html.js';
import { buildReport, writeFigures } from './index.js';
import { specToSvg } from './render.js';
import { historySpec, importanceSpec, intermediateSpec, parallelSpec } from './study-charts.js';
import { studyHtml } from './study-html.js';

export interface StudyReport {
  html: string;
  figures: { name: string; svg: string; png: string }[];
  /** The best trial's run report, when it is on this machine. */
  bestReport: string | null;
}

export async function buildStudyReport(studyDir: string, study: Study, trials: Trial[], storageLabel: string): Promise<StudyReport> {
  const dir = resolve(studyDir);
  const space = parseSpace(study.space, `study '${study.name}'`);
  const best = bestTrial(trials, study.direction);
  const bestReport = best?.runDir && existsSync(join(best.runDir, 'run.json')) ? join(best.runDir, 'report.html') : null;
  if (bestReport && !existsSync(bestReport)) await buildReport(best!.runDir!);
  const importances = paramImportances(space, trials);

  const figures = new Map<string, Figure>();
  const add = async (name: string, title: string, spec: Parameters<typeof specToSvg>[0]): Promise<void> => void figures.set(name, { name, title, svg: await specToSvg(spec) });
  await add('history', 'Optimization history', historySpec(study, trials));
  await add('intermediate', 'Objective per epoch', intermediateSpec(study, trials));
  await add('parallel', 'Parallel coordinates', parallelSpec(study, space, trials));
  if (importances.length) await add('importance', 'Parameter importance', importanceSpec(importances));

  const written = await writeFigures(dir, figures);
  const html = join(dir, 'report.html');
  const bestReportHref = bestReport ? relative(dir, bestReport).split('\\').join('/') : null;
  await writeFile(html, studyHtml({ study, space, trials, best, bestReportHref, importances, storageLabel, figures, studyDir: dir }));
  return { html, figures: written, bestReport };
}
