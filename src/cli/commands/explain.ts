// `digitnet explain`: why the model reads each image as it does. For each PNG or JPEG (through the model's own
// preprocessing, as `digitnet predict`), a folder with the image the model saw, its saliency, its
// Grad-CAM and each convolution's feature maps; for the model, its first layer's filters; and one figure of
// them all (explanations.png) with explanations.json.

import { Command } from 'commander';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, extname, join, relative, resolve } from 'node:path';
import { readImageFile } from '../../data/images.js';
import { namesAreIndices, prepareImage, type InputSpec } from '../../data/model-input.js';
import { writeExplanations, type ExplainedImage } from '../../explain/files.js';
import { explainGridSvg } from '../../report/explain-grid.js';
import { svgToPng } from '../../report/render.js';
import { intOption } from '../options.js';
import { loadDigitModel } from './model.js';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);

export function explainCommand(): Command {
  return new Command('explain')
    .description('explain predictions: saliency, Grad-CAM and feature maps of each image, and the first layer\'s filters, as PNG files')
    .requiredOption('--model <dir>', 'model folder (model.json) or run folder')
    .argument('<image...>', 'PNG or JPEG files, or folders of them')
    .requiredOption('--out <dir>', 'folder to write the PNG files into')
    .option('--layer <name>', "Grad-CAM's layer (default: the last convolution, after its normalization and activation)")
    .option('--scale <n>', 'each model pixel as an n x n square in the PNG files', intOption(1), 8)
    .action(async (inputs: string[], f: { model: string; out: string; layer?: string; scale: number }) => {
      const { model, spec } = await loadDigitModel(f.model);
      const images = readImages(inputs, spec);
      const out = resolve(f.out);
      const r = await writeExplanations(model, images, out, { layer: f.layer, scale: f.scale });
      const name = (i: number): string => spec.classNames[i];
      const shown = (i: number): string => (namesAreIndices(spec.classNames) ? String(i) : name(i));
      const rows = r.images.map((e) => ({ caption: `${e.input} → ${shown(e.label)} (${(e.top[0].p * 100).toFixed(1)}%)`, input: e.rasters.input, saliency: e.rasters.saliency, gradCam: e.rasters.gradCam, top: e.top, gradCamEmpty: e.gradCamEmpty, classNames: spec.classNames }));
      const svg = explainGridSvg(`Why ${model.name} reads each image as it does`, rows, r.images[0]?.gradCamLayer ?? null);
      await writeFile(join(out, 'explanations.png'), svgToPng(svg));
      const json = r.images.map(({ rasters: _, ...e }) => ({ ...e, className: name(e.label), top: e.top.map((t) => ({ ...t, className: name(t.index) })) }));
      await writeFile(join(out, 'explanations.json'), JSON.stringify({ model: model.name, filters: r.filters, images: json }, null, 2) + '\n');
      const at = (p: string): string => join(relative(process.cwd(), out) || '.', p);
      const width = Math.min(60, Math.max(...r.images.map((e) => e.input.length)));
      for (const e of r.images) console.log(`${e.input.padEnd(width)}  ${shown(e.label)}  (${(e.top[0].p * 100).toFixed(1)}%)  ${at(e.name)}/`);
      console.log(`Filters: ${at(r.filters)}; figure: ${at('explanations.png')}`);
    });
}

/** The images as the model takes them, each with a unique folder name from its file name. */
function readImages(inputs: string[], spec: InputSpec): ExplainedImage[] {
  const paths: string[] = [];
  for (const input of inputs) {
    if (!existsSync(input)) throw new Error(`${input}: no such file or folder`);
    if (!statSync(input).isDirectory()) {
      paths.push(input);
      continue;
    }
    const names = readdirSync(input).filter((n) => IMAGE_EXT.has(extname(n).toLowerCase())).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    if (names.length === 0) throw new Error(`${input}: the folder holds no .png, .jpg or .jpeg files`);
    paths.push(...names.map((n) => join(input, n)));
  }
  const used = new Set<string>();
  return paths.map((path) => {
    const { pixels, empty } = prepareImage(readImageFile(path), spec);
    if (empty) throw new Error(`${path}: no ${spec.preprocess === 'mnist' && namesAreIndices(spec.classNames) ? 'digit' : 'ink'} found (the image is blank: no ink stands out from its background)`);
    const stem = basename(path, extname(path)).replace(/[^A-Za-z0-9_.-]/g, '_') || 'image';
    let name = stem;
    for (let k = 2; used.has(name); k++) name = `${stem}-${k}`;
    used.add(name);
    return { input: path, name, pixels };
  });
}
