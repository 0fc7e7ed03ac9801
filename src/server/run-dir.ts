// Finding what `digitnet serve` serves: the model folder (model.json + weights) and, when the model
// came from a training run, the run folder beside it holding metrics.json and report.html.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export interface ModelLocation {
  /** Folder holding model.json and its weight files. */
  modelDir: string;
  /** The training run the model belongs to (metrics.json, report.html), or null for a bare model folder. */
  runDir: string | null;
}

/**
 * Accepts a run folder (`runs/<date-time>/`, holding `model/`) or a model folder (holding model.json).
 * Throws, naming the path, when neither fits.
 */
export function locateModel(dir: string): ModelLocation {
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new Error(`${dir}: no such folder`);
  if (existsSync(join(abs, 'model', 'model.json'))) return { modelDir: join(abs, 'model'), runDir: abs };
  if (existsSync(join(abs, 'model.json'))) {
    // A run's own model folder: its parent is the run when it holds the run's metrics.
    const parent = dirname(abs);
    const isRun = basename(abs) === 'model' && existsSync(join(parent, 'metrics.json'));
    return { modelDir: abs, runDir: isRun ? parent : null };
  }
  throw new Error(`${dir}: not a model folder (no model.json) nor a run folder (no model/model.json)`);
}

/** The newest run under `runsDir` that holds a saved model, or null when there is none. */
export function newestRun(runsDir: string): string | null {
  if (!existsSync(runsDir)) return null;
  const runs = readdirSync(runsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(runsDir, d.name, 'model', 'model.json')))
    .map((d) => {
      const path = join(runsDir, d.name);
      return { path, name: d.name, mtime: statSync(join(path, 'model', 'model.json')).mtimeMs };
    });
  if (runs.length === 0) return null;
  // Newest by when its model was written (runs may carry any name); the name breaks ties.
  runs.sort((a, b) => a.mtime - b.mtime || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return runs[runs.length - 1].path;
}
