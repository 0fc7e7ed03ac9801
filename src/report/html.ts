// report.html: one self-contained page (figures embedded as data URIs, styles inline, no scripts or
// network) with the curves, the confusion matrix and its most confused pairs, per-class scores and the
// classification report, the sample and misclassified grids, the model summary, the hyperparameters, the
// data, the time taken, the backend and the test metrics.

import { formatClassificationReport, formatConfusionMatrix } from '../eval/format.js';
import type { RunFiles } from '../train/run-files.js';
import { namesAreIndices } from '../data/model-input.js';
import { escapeXml as esc } from './grids.js';

export interface Figure {
  name: string;
  title: string;
  svg: string;
}

/** What the explanations section says: which layer Grad-CAM used and how many mistakes it explains. */
export interface ExplainedMistakes {
  count: number;
  layer: string | null;
}

export function reportHtml(runName: string, f: RunFiles, figures: Map<string, Figure>, why: ExplainedMistakes | null = null, whyMissing: string | null = null): string {
  const t = f.metrics.test;
  const names = f.run.data.classNames;
  const named = names !== undefined && !namesAreIndices(names);
  const cls = (i: number): string => esc(names?.[i] ?? String(i));
  const fig = (name: string): string => {
    const g = figures.get(name);
    if (!g) return '';
    return `<figure id="fig-${name}"><img alt="${esc(g.title)}" src="data:image/svg+xml;base64,${Buffer.from(g.svg).toString('base64')}"></figure>`;
  };
  const confused = t.mostConfused.length
    ? `<ol>${t.mostConfused.map((p) => `<li><b>${cls(p.actual)}</b> taken for <b>${cls(p.predicted)}</b>: ${p.count} time${p.count === 1 ? '' : 's'}</li>`).join('')}</ol>`
    : `<p>No ${named ? 'class' : 'digit'} was ever taken for another.</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>digitnet report: ${esc(runName)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${named ? 'Image classification report' : 'Digit recognition report'}</h1>
<p class="sub">Run <code>${esc(runName)}</code>, ${esc(f.run.createdAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}</p>
${headline(f)}
</header>
${f.history.epoch.length ? `<section><h2>Training curves</h2><div class="row">${fig('loss')}${fig('accuracy')}${fig('learning-rate')}</div></section>` : ''}
${figures.has('augmented') ? `<section><h2>Augmentation</h2>${fig('augmented')}</section>` : ''}
${f.run.members ? `<section><h2>Members</h2>${membersTable(f)}</section>` : ''}
<section><h2>Confusion matrix</h2><div class="row">${fig('confusion')}<div class="aside"><h3>Most confused pairs</h3>${confused}
<h3>As text</h3><pre>${esc(formatConfusionMatrix(t.confusionMatrix, names))}</pre></div></div></section>
<section><h2>Per-class scores</h2><div class="row">${fig('per-class')}<div class="aside"><h3>Classification report</h3><pre>${esc(formatClassificationReport({ ...t, count: t.count }, 4, names))}</pre></div></div></section>
<section><h2>Sample test predictions</h2>${fig('samples')}</section>
<section><h2>Misclassified test images</h2><p>${f.samples.misclassifiedTotal} of ${t.count.toLocaleString('en-US')} test images were misclassified; the ${f.samples.misclassified.length} shown are the most confident mistakes.</p>${fig('misclassified')}</section>
${explanationsSection(why, whyMissing, fig)}
<section><h2>Model</h2>${modelTable(f)}</section>
<section class="cols"><div><h2>Hyperparameters</h2>${hyperTable(f)}</div><div><h2>Data</h2>${dataTable(f)}</div><div><h2>Time and backend</h2>${timeTable(f)}</div></section>
<footer>Made by <code>digitnet</code>. Figures are also in <code>figures/</code> as SVG and PNG; the numbers are in <code>metrics.json</code> and <code>history.json</code>.</footer>
</body>
</html>
`;
}

function explanationsSection(why: ExplainedMistakes | null, missing: string | null, fig: (name: string) => string): string {
  const head = '<section id="explanations"><h2>Why the model got these wrong</h2>';
  if (!why) return `${head}<p>No explanations: ${esc(missing ?? 'none were computed')}.</p></section>`;
  if (why.count === 0) return `${head}<p>No test image was misclassified, so there is no mistake to explain.</p>${fig('explanations')}</section>`;
  const cam = why.layer ? `Grad-CAM over layer <code>${esc(why.layer)}</code> (the last convolution's feature maps, weighted by their spatially averaged gradients, ReLU, upsampled to 28x28)` : 'no Grad-CAM (the model has no convolution)';
  return `${head}<p>For the ${why.count} most confident mistakes: the digit, its saliency (how much each pixel moves the predicted class's score: the gradient of its logit), ${cam}, and the three most probable classes, the true one in green.</p>${fig('explanations')}</section>`;
}

function headline(f: RunFiles): string {
  const t = f.metrics.test;
  const cards: [string, string][] = [
    ['test accuracy', pct(t.accuracy)],
    ['test loss', t.loss.toFixed(4)],
    ['macro F1', t.macroAvg.f1.toFixed(4)],
    ['validation accuracy', f.metrics.validation ? pct(f.metrics.validation.accuracy) : 'none held out'],
    ['training time', duration(f.run.timing.trainSeconds)],
    ['training speed', `${Math.round(f.run.timing.trainImagesPerSecond).toLocaleString('en-US')} images/s`],
    ['backend', f.run.backend],
  ];
  return `<div class="cards">${cards.map(([k, v]) => `<div class="card"><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div></div>`).join('')}</div>`;
}

export function table(head: string[] | null, rows: (string | number)[][], numeric: number[] = []): string {
  const cell = (v: string | number, i: number, tag: string): string => `<${tag}${numeric.includes(i) ? ' class="num"' : ''}>${esc(String(v))}</${tag}>`;
  const h = head ? `<thead><tr>${head.map((c, i) => cell(c, i, 'th')).join('')}</tr></thead>` : '';
  return `<table>${h}<tbody>${rows.map((r) => `<tr>${r.map((c, i) => cell(c, i, head ? 'td' : i === 0 ? 'th' : 'td')).join('')}</tr>`).join('')}</tbody></table>`;
}

function modelTable(f: RunFiles): string {
  const m = f.run.model;
  const rows = m.rows.map((r) => [`${r.name} (${r.className})`, `(${r.outputShape.map((d) => (d === null ? 'None' : d)).join(', ')})`, r.params.toLocaleString('en-US')]);
  rows.push(['Total', '', m.totalParams.toLocaleString('en-US')]);
  return `<p>Model <code>${esc(m.name)}</code>: ${m.totalParams.toLocaleString('en-US')} trainable parameters.</p>${table(['Layer (type)', 'Output shape', 'Param #'], rows, [2])}`;
}

function hyperTable(f: RunFiles): string {
  const h = f.run.hyperparameters;
  if (f.run.members) return table(null, [['model', `the average of ${f.run.members.length} trained models' probabilities`], ['members', f.run.members.map((m) => m.arch).join(', ')]]);
  const rate = h.schedule ? `, schedule ${h.schedule}` : h.lrDecay !== undefined && h.lrDecay !== 1 ? `, × ${h.lrDecay} per epoch` : '';
  const resumed = f.run.resumed?.length ? [['resumed', f.run.resumed.map((r) => `after epoch ${r.epochsDone}`).join(', ')]] : [];
  return table(null, [
    ...(h.arch ? [['architecture', shownSource(h.arch)]] : []),
    ['epochs', h.epochs], ['batch size', h.batchSize], ['optimizer', `${h.optimizer} (learning rate ${h.learningRate}${rate})`],
    ['augmentation', h.augment ?? 'none'], ['loss', h.loss], ['validation split', `${h.validationSplit} (stratified)`], ['seed', h.seed], ...resumed,
  ]);
}

function membersTable(f: RunFiles): string {
  const a = f.run.agreement;
  // Accuracies on this run's test images where they were measured (older runs: the members' own figures).
  const rows = f.run.members!.map((m, i) => {
    const accuracy = a?.memberAccuracy[i] ?? m.testAccuracy;
    return [i + 1, shownSource(m.run), m.arch, m.seed ?? '', accuracy === null ? '' : pct(accuracy)];
  });
  const shared = a
    ? `<p>Every member misclassifies ${a.missedByEvery} of the test images and at least one member ${a.missedByAny}; of the ensemble's ${a.errors} errors, every member made ${a.errorsMissedByEvery}. Averaging mends mostly the mistakes that members do not share.</p>`
    : '';
  return `<p>The model averages the class probabilities of these ${rows.length} models (an Average layer on their outputs).</p>${table(['#', 'run', 'architecture', 'seed', 'test accuracy'], rows, [0, 3, 4])}${shared}`;
}

/**
 * A data source as the report shows it: file names without their folders, so that a report served by
 * `digitnet serve` shows nothing of the machine's paths (run.json keeps them whole).
 */
export function shownSource(s: string): string {
  // A path is any run of folder names each ending in a slash (absolute, relative, '..', a drive), then its name.
  return s.replace(/(?:[^\\/\s;()]*[\\/])+([^\\/\s;()]*)/g, (_m, name: string) => name || '/');
}

function dataTable(f: RunFiles): string {
  const d = f.run.data;
  const sub = d.submission ? [['Kaggle submission', `${d.submission.file}: ${d.submission.rows.toLocaleString('en-US')} rows predicted from ${shownSource(d.submission.source)}`]] : [];
  return table(null, [
    ['training data', shownSource(d.trainSource)], ['training images', d.trainImages.toLocaleString('en-US')],
    ['validation images', d.validationImages.toLocaleString('en-US')], ['test data', shownSource(d.testSource)], ...sub,
    ['test images', d.testImages.toLocaleString('en-US')], ['limit', d.limit ? `first ${d.limit.toLocaleString('en-US')}` : 'none'],
    ...classRows(f),
    ['preprocessing', `pixels / 255 → ${(d.inputShape ?? [28, 28, 1]).join('x')}${d.preprocess === 'resize' ? ' (images resized whole)' : ''}; labels one-hot`],
    ...transferRows(f),
  ]);
}

function classRows(f: RunFiles): string[][] {
  const d = f.run.data;
  if (!d.classNames) return [];
  const counts = d.classCounts;
  const list = d.classNames.map((n, i) => (counts ? `${n} (${counts[i].toLocaleString('en-US')})` : n));
  return [['classes', `${d.classNames.length}: ${list.join(', ')}`]];
}

function transferRows(f: RunFiles): string[][] {
  const t = f.run.transfer;
  if (!t) return [];
  const head = t.headReplaced ? `new ${t.headReplaced.layer} (${t.headReplaced.fromClasses} → ${t.headReplaced.toClasses} classes)` : 'kept';
  const ft = t.fineTune ? `${t.fineTune.epochs} epochs at learning rate ${t.fineTune.learningRate} (BatchNormalization frozen)` : 'none';
  return [
    ['started from', shownSource(t.from)], ['head', head],
    ['frozen layers', t.frozen.length ? `${t.frozen.length}: ${t.frozen[0]} … ${t.frozen[t.frozen.length - 1]}` : 'none'], ['fine-tuning', ft],
  ];
}

function timeTable(f: RunFiles): string {
  const t = f.run.timing;
  const perEpoch = f.history.seconds.map((s, i) => `${i + 1}: ${duration(s)}`).join(', ');
  return table(null, [
    ['backend', f.run.backend], ['loading data', duration(t.loadSeconds)], ['training', duration(t.trainSeconds)],
    ['per epoch', perEpoch], ['training speed', `${Math.round(t.trainImagesPerSecond).toLocaleString('en-US')} images/s`],
    ['evaluation', `${duration(t.evaluateSeconds)} (${Math.round(t.testImagesPerSecond).toLocaleString('en-US')} images/s)`],
    ['total', duration(t.totalSeconds)],
  ]);
}

export function pct(v: number): string {
  return `${(v * 100).toFixed(2)}%`;
}

/** Seconds as "12.3 s", "1 min 5 s" or "2 h 3 min", rounded once at the unit shown (119.6 s is "2 min 0 s", never "1 min 60 s"). */
export function duration(s: number): string {
  if (s < 59.95) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const STYLE = `
body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:0 auto;max-width:1180px;padding:24px;color:#1f2328;background:#fff}
h1{margin:0 0 4px;font-size:26px}h2{font-size:19px;border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:32px}h3{font-size:15px;margin:8px 0}
.sub{color:#57606a;margin:0 0 16px}code{font-family:"DejaVu Sans Mono",monospace;font-size:90%}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #d0d7de;border-radius:6px;padding:8px 14px;min-width:120px}
.card .k{font-size:12px;color:#57606a}.card .v{font-size:18px;font-weight:bold}
.row{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}figure{margin:0}figure img{max-width:100%;height:auto;display:block}
.aside{flex:1;min-width:300px}pre{font-family:"DejaVu Sans Mono",monospace;font-size:12px;background:#f6f8fa;padding:8px;border-radius:6px;overflow-x:auto}
table{border-collapse:collapse;font-size:13px;margin:6px 0}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
thead th{background:#f6f8fa}tbody th{background:#f6f8fa;font-weight:normal;color:#57606a}.num{text-align:right}
.cols{display:flex;flex-wrap:wrap;gap:24px}.cols>div{flex:1;min-width:300px}
footer{margin-top:40px;color:#57606a;font-size:12px}
`;
