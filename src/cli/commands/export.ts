// `digitnet export`: a trained model (run or model folder) as an ONNX file, or as a TensorFlow.js Layers
// folder (model.json + one weights.bin). Any model the engine builds exports, whatever its input shape or
// class count; a layer ONNX cannot express is a one-line error naming it.

import { Command, Option } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { modelFromArtifacts } from '../../engine/io/artifacts.js';
import { readModelFiles, saveModel } from '../../engine/io/files.js';
import { exportOnnx, INPUT_NAME, LOGITS, PROBABILITIES } from '../../export/onnx.js';
import { resolveModelDir } from '../../train/run-files.js';

interface Flags {
  format: 'onnx' | 'tfjs';
  out: string;
  inputLayout: 'nhwc' | 'nchw';
}

export function exportCommand(): Command {
  return new Command('export')
    .description('write a trained model as ONNX (for onnxruntime and other runtimes) or as a TensorFlow.js Layers folder')
    .argument('<dir>', 'a run folder or a model folder (model.json)')
    .addOption(new Option('--format <format>', 'onnx: one .onnx file (opset 13); tfjs: model.json + weights.bin').choices(['onnx', 'tfjs']).default('onnx'))
    .requiredOption('--out <path>', 'the .onnx file (onnx) or the folder (tfjs) to write')
    .addOption(new Option('--input-layout <layout>', "the ONNX input's layout: nhwc ([batch,28,28,1], as digitnet) or nchw ([batch,1,28,28])").choices(['nhwc', 'nchw']).default('nhwc'))
    .action(async (dir: string, f: Flags) => {
      const { modelDir } = resolveModelDir(dir);
      const { modelJson, weightData, source } = await readModelFiles(modelDir);
      const model = modelFromArtifacts(modelJson, weightData, source);
      const out = resolve(f.out);
      if (f.format === 'tfjs') {
        await saveModel(model, out, modelJson.userDefinedMetadata);
        console.log(`TensorFlow.js Layers model written to ${relative(process.cwd(), out) || '.'}/ (model.json, weights.bin)`);
        return;
      }
      if (existsSync(out) && statSync(out).isDirectory()) throw new Error(`--out ${f.out}: is a folder; give the path of the .onnx file to write`);
      const metadata = modelJson.userDefinedMetadata ? { 'digitnet.metadata': JSON.stringify(modelJson.userDefinedMetadata) } : undefined;
      const bytes = exportOnnx(model, { inputLayout: f.inputLayout, metadata });
      await writeAtomically(out, bytes);
      const [h, w, c] = model.inputShape;
      const shape = model.inputShape.length === 3 ? (f.inputLayout === 'nchw' ? `[batch,${c},${h},${w}]` : `[batch,${h},${w},${c}]`) : `[batch,${model.inputShape[0]}]`;
      console.log(`ONNX model written to ${relative(process.cwd(), out)} (${(bytes.length / 1024).toFixed(1)} KiB, opset 13)`);
      console.log(`input '${INPUT_NAME}' float32 ${shape}, pixels / 255; outputs '${PROBABILITIES}' and '${LOGITS}' [batch,${model.outputShape[0]}]`);
    });
}

/** Writes a temporary sibling and renames it into place, so a half-written file never has the real name. */
async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${process.pid}-${Date.now().toString(36)}.tmp`);
  try {
    await writeFile(tmp, bytes, { flush: true });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new Error(`--out ${path}: could not write (${(e as Error).message})`);
  }
}
