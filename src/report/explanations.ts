// The report's "why it got these wrong" figure: the run's model (model/) explains its most confident mistakes
// on the test set (samples.json holds their pixels): each digit, its saliency and Grad-CAM for the class it
// predicted, and its top three classes with the true one marked. Node-only (reads the model, encodes PNGs).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fromBase64, type ShownImage } from '../eval/evaluate.js';
import { loadModel } from '../engine/io/files.js';
import { fmtShape, sizeOf, Tensor } from '../engine/tensor.js';
import { explain } from '../explain/explain.js';
import { explanationRasters } from '../explain/figures.js';
import { isEmptyGradCam } from '../explain/gradcam.js';
import { MODEL_DIR } from '../train/run-files.js';
import { explainGridSvg, type ExplainRow } from './explain-grid.js';

/** How many mistakes the report explains. */
export const EXPLAINED_MISTAKES = 6;

export interface MistakeExplanations {
  svg: string;
  count: number;
  /** Grad-CAM's layer, or null for a model without convolutions. */
  layer: string | null;
}

/** The figure, or why there is none (no model in the run folder, or one that does not take the shown images). */
export async function explainMistakes(runDir: string, mistakes: ShownImage[], classNames?: string[]): Promise<MistakeExplanations | { missing: string }> {
  const modelDir = join(runDir, MODEL_DIR);
  if (!existsSync(join(modelDir, 'model.json'))) return { missing: `the run folder holds no model (${MODEL_DIR}/model.json) to explain them with` };
  const model = await loadModel(modelDir);
  const shown = mistakes.slice(0, EXPLAINED_MISTAKES);
  const shape = shown[0]?.shape ?? [28, 28, 1];
  if (shown.length && shape.join() !== model.inputShape.join()) return { missing: `the model takes ${fmtShape([null, ...model.inputShape])}, not the ${shape.join('x')} test images shown` };
  const [h, w] = model.inputShape;
  const per = sizeOf(model.inputShape);
  const pixels = shown.map((m) => Float32Array.from(fromBase64(m.pixels), (v) => v / 255));
  const x = new Tensor(new Float32Array(shown.length * per), [shown.length, ...model.inputShape]);
  pixels.forEach((p, i) => x.data.set(p, i * per));
  const explained = shown.length ? explain(model, x) : [];
  const rows: ExplainRow[] = explained.map((e, i) => {
    const r = explanationRasters(e, pixels[i], w, h, 8);
    const m = shown[i];
    const name = (c: number): string => classNames?.[c] ?? String(c);
    return { caption: `true ${name(m.label)} → predicted ${name(m.predicted)} · test image #${m.index}`, colour: '#cf222e', input: r.input, saliency: r.saliency, gradCam: r.gradCam, top: e.top, truth: m.label, gradCamEmpty: isEmptyGradCam(e.gradCam), classNames };
  });
  const layer = explained[0]?.gradCam?.layer ?? null;
  const title = `Why the model got these wrong (${rows.length} most confident mistakes)`;
  return { svg: explainGridSvg(title, rows, layer), count: rows.length, layer };
}

