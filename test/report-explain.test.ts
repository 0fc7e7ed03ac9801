// The report's explanations section, built from a real trained run: its most confident mistakes, each with
// the digit, its saliency and Grad-CAM, and the top three classes as the model computes them; and what the
// section says when the run folder holds no model.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fromBase64 } from '../src/eval/evaluate.js';
import { Tensor } from '../src/engine/index.js';
import { explain } from '../src/explain/explain.js';
import { buildReport } from '../src/report/index.js';
import { EXPLAINED_MISTAKES } from '../src/report/explanations.js';
import { readRunFiles } from '../src/train/run-files.js';
import { sharedFixtureRun, type SharedRun } from './helpers/trained-fixture.js';

let tmp: string;
let fx: SharedRun;
let html: string;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'digitnet-report-explain-'));
  fx = await sharedFixtureRun(join(tmp, 'run'));
  html = readFileSync((await buildReport(fx.runDir)).html, 'utf8');
});
after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

test('the section shows the most confident mistakes: image, saliency, Grad-CAM and the top three classes', () => {
  const section = /<section id="explanations">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? '';
  assert.match(section, /<h2>Why the model got these wrong<\/h2>/);
  assert.match(section, new RegExp(`For the ${EXPLAINED_MISTAKES} most confident mistakes`));
  assert.match(section, /Grad-CAM over layer <code>conv2d_1<\/code>/);
  const svg = Buffer.from(/<figure id="fig-explanations"><img alt="[^"]*" src="data:image\/svg\+xml;base64,([^"]+)">/.exec(section)![1], 'base64').toString('utf8');
  assert.equal(svg, readFileSync(join(fx.runDir, 'figures', 'explanations.svg'), 'utf8'));
  assert.equal((svg.match(/<image /g) ?? []).length, 3 * EXPLAINED_MISTAKES, 'three pictures per mistake');
  const mistakes = readRunFiles(fx.runDir).samples.misclassified.slice(0, EXPLAINED_MISTAKES);
  const x = new Tensor(Float32Array.from(mistakes.flatMap((m) => Array.from(fromBase64(m.pixels), (v) => v / 255))), [mistakes.length, 28, 28, 1]);
  const es = explain(fx.model, x);
  mistakes.forEach((m, i) => {
    assert.ok(svg.includes(`true ${m.label} → predicted ${m.predicted} · test image #${m.index}`), `caption of #${m.index}`);
    assert.equal(es[i].top[0].index, m.predicted, 'the model still predicts what the run recorded');
    for (const c of es[i].top) assert.ok(svg.includes(`${(c.p * 100).toFixed(1)}%`), `#${m.index}: class ${c.index} at ${(c.p * 100).toFixed(1)}%`);
  });
  // The true class is drawn in green where it is among the top three.
  const trueInTop = es.filter((e, i) => e.top.some((c) => c.index === mistakes[i].label)).length;
  assert.equal((svg.match(/font-weight="bold" fill="#1a7f37">/g) ?? []).length, trueInTop);
});

test('a run folder without its model says so instead', async () => {
  rmSync(join(fx.runDir, 'model'), { recursive: true });
  const page = readFileSync((await buildReport(fx.runDir)).html, 'utf8');
  assert.match(page, /<section id="explanations"><h2>Why the model got these wrong<\/h2><p>No explanations: the run folder holds no model \(model\/model\.json\) to explain them with\.<\/p><\/section>/);
  assert.doesNotMatch(page, /fig-explanations/);
});
