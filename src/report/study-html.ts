// A study's report.html: one self-contained page (figures embedded, no scripts or network) with the
// best trial and a link to its run report, the optimization history, the objective per epoch, the
// parallel coordinates, the parameters' importances (and how they are computed), the search space, the
// shared training settings and every trial in a table.

import { isAbsolute, relative } from 'node:path';
import type { Importance } from '../tune/importance.js';
import { describeParam, formatValue, type Space } from '../tune/space.js';
import type { Study, Trial } from '../tune/trial.js';
import { directionWord } from './study-charts.js';
import { escapeXml as esc } from './grids.js';
import { duration, STYLE, table, type Figure } from './html.js';

export interface StudyPage {
  study: Study;
  space: Space;
  trials: Trial[];
  best: Trial | null;
  /** The best trial's run report, relative to the study report (null when it is not on this machine). */
  bestReportHref: string | null;
  importances: Importance[];
  storageLabel: string;
  figures: Map<string, Figure>;
  /** The study's folder, where report.html is: run folders under it are shown relative to it. */
  studyDir: string;
}

export function studyHtml(p: StudyPage): string {
  const fig = (name: string): string => {
    const g = p.figures.get(name);
    return g ? `<figure id="fig-${name}"><img alt="${esc(g.title)}" src="data:image/svg+xml;base64,${Buffer.from(g.svg).toString('base64')}"></figure>` : '';
  };
  const s = p.study;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>digitnet study: ${esc(s.name)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Hyperparameter study <code>${esc(s.name)}</code></h1>
<p class="sub">${esc(shownStorage(p))}, created ${esc(s.createdAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}</p>
${cards(p)}
</header>
<section><h2>Best trial</h2>${bestSection(p)}</section>
<section><h2>Optimization history</h2><div class="row">${fig('history')}${fig('intermediate')}</div></section>
<section><h2>Parallel coordinates</h2>${fig('parallel')}</section>
<section><h2>Parameter importance</h2>${importanceSection(p, fig('importance'))}</section>
<section class="cols"><div><h2>Search space</h2>${table(null, p.space.params.map((q) => [q.name, describeParam(q).slice(q.name.length + 2)]))}</div>
<div><h2>Study settings</h2>${settingsTable(s)}</div></section>
<section><h2>Trials</h2>${trialsTable(p)}</section>
<footer>Made by <code>digitnet tune</code>. <code>digitnet tune --study ${esc(s.name)} --show</code> prints the trials; the figures are also in <code>figures/</code> as SVG and PNG.</footer>
</body>
</html>
`;
}

function cards(p: StudyPage): string {
  const count = (st: string): number => p.trials.filter((t) => t.state === st).length;
  const items: [string, string][] = [
    [`best ${p.study.objective}`, p.best ? p.best.value!.toFixed(4) : 'none yet'],
    ['best trial', p.best ? `#${p.best.number}` : '–'],
    ['complete', String(count('complete'))],
    ['pruned', String(count('pruned'))],
    ['failed', String(count('failed'))],
    ['sampler', p.study.sampler],
    ['pruner', p.study.pruner],
  ];
  return `<div class="cards">${items.map(([k, v]) => `<div class="card"><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div></div>`).join('')}</div>`;
}

function bestSection(p: StudyPage): string {
  const b = p.best;
  if (!b) return '<p>No trial has completed yet.</p>';
  const link = p.bestReportHref ? `<a href="${esc(p.bestReportHref)}">its run report</a>` : 'its run report (on the machine that ran it)';
  return `<p>Trial #${b.number} reached ${esc(p.study.objective)} ${b.value!.toFixed(4)} (${directionWord(p.study.direction)}). See ${link}; its run folder
<code>${esc(b.runDir ? shortPath(p.studyDir, b.runDir) : '')}</code> is a normal run that <code>digitnet evaluate --model</code>, <code>predict --model</code> and <code>serve --model</code> take.</p>
${table(['parameter', 'value'], Object.entries(b.params).map(([k, v]) => [k, formatValue(v)]))}`;
}

function importanceSection(p: StudyPage, figure: string): string {
  const how = `<p>Each parameter's importance is the share of the objective's variance, across the complete trials, that its main effect explains
(the correlation ratio η²: trials grouped by a choice's value or by quantile bins of a number, inactive conditional parameters as a group of
their own), normalized to sum to 100%. It is a first-order variance decomposition, like fANOVA's, estimated by grouping instead of a random forest;
with few trials it is a rough guide.</p>`;
  return p.importances.length ? `${figure}${how}` : `<p>Importances need at least 3 complete trials with different results.</p>`;
}

function settingsTable(s: Study): string {
  const rows: [string, string][] = [
    ['objective', `${s.objective} (${s.direction})`], ['sampler', s.sampler], ['pruner', s.pruner], ['seed', String(s.seed)],
    ...Object.entries(s.training).filter(([k, v]) => v !== undefined && v !== null && k !== 'seed').map(([k, v]): [string, string] => [k, String(v)]),
  ];
  return table(null, rows);
}

function trialsTable(p: StudyPage): string {
  const names = p.space.params.map((q) => q.name);
  const rows = p.trials.map((t) => [
    t.number, t.state + (t.retryOf !== null ? ` (retry of #${t.retryOf})` : ''),
    ...names.map((n) => (n in t.params ? formatValue(t.params[n]) : '–')),
    t.value === null ? '–' : t.value.toFixed(4), t.intermediate.length, seconds(t), t.note ?? (t.runDir ? shortPath(p.studyDir, t.runDir) : ''),
  ]);
  return table(['#', 'state', ...names, p.study.objective, 'epochs run', 'time', 'run folder or note'], rows, [0, names.length + 2, names.length + 3]);
}

/** A SQLite study file relative to the report (`sqlite:../studies.db`); other storages as they are. */
function shownStorage(p: StudyPage): string {
  if (!p.storageLabel.startsWith('sqlite:')) return p.storageLabel;
  return `sqlite:${relative(p.studyDir, p.storageLabel.slice('sqlite:'.length))}`;
}

/** A run folder relative to the study's folder when it lies below it. */
function shortPath(studyDir: string, runDir: string): string {
  const r = relative(studyDir, runDir);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : runDir;
}

function seconds(t: Trial): string {
  if (!t.startedAt || !t.finishedAt) return '–';
  return duration((Date.parse(t.finishedAt) - Date.parse(t.startedAt)) / 1000);
}
