// model.summary(): one row per layer (name, class, output shape, parameters, and for graphs the layers it
// reads, Keras's "Connected to"), printed as Keras's table with its three parameter-count lines.

import type { Layer } from '../layers/layer.js';
import { fmtShape, sizeOf } from '../tensor.js';

export interface SummaryRow {
  name: string;
  className: string;
  outputShape: (number | null)[];
  params: number;
  /** The layers whose outputs this one reads, as Keras prints them ('conv2d[0][0]'). */
  connectedTo: string[];
}

export function summaryRows(layers: Layer[], graph: boolean): SummaryRow[] {
  return layers.map((l) => ({
    name: l.name,
    className: l.className,
    outputShape: [null, ...l.outputShape],
    params: l.paramSpecs().reduce((s, p) => s + sizeOf(p.shape), 0),
    connectedTo: graph && l.output ? l.output.inputs.map((t) => `${t.producer.name}[0][0]`) : [],
  }));
}

export function summaryTable(name: string, rows: SummaryRow[], counts: { total: number; trainable: number; nonTrainable: number }, graph: boolean): string[] {
  const fmt = (n: number): string => n.toLocaleString('en-US');
  const cells = rows.map((r) => [`${r.name} (${r.className})`, fmtShape(r.outputShape), fmt(r.params), ...(graph ? [r.connectedTo.join(', ')] : [])]);
  const head = ['Layer (type)', 'Output Shape', 'Param #', ...(graph ? ['Connected to'] : [])];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)) + 4);
  const line = (c: string[]): string => c.map((s, i) => s.padEnd(widths[i])).join('').trimEnd();
  const rule = (ch: string): string => ch.repeat(widths.reduce((a, b) => a + b, 0));
  return [
    `Model: "${name}"`,
    rule('_'),
    line(head),
    rule('='),
    ...cells.flatMap((c, i) => [line(c), i < cells.length - 1 ? rule('_') : rule('=')]),
    `Total params: ${fmt(counts.total)}`,
    `Trainable params: ${fmt(counts.trainable)}`,
    `Non-trainable params: ${fmt(counts.nonTrainable)}`,
    rule('_'),
  ];
}
