// POST /api/explain: why the model reads an image as it does. Takes the same bodies as /api/predict (a PNG or
// JPEG, or JSON {"pixels": [784 numbers 0..255]}) and answers the prediction, the top three classes, the
// saliency (|∂ logit / ∂ pixel|, divided by its maximum, which is given as saliencyScale) and Grad-CAM's heat
// map over the last convolution, each 784 values 0..1 in row-major 28x28 order. `?class=N` explains class N
// instead of the predicted one.
//
// The route is given its two steps: how a request becomes pixels (the app's decoding) and how pixels become an
// explanation (explainDigit on the served model). Either may be asynchronous, so a server that decodes in a
// worker pool and runs the model in a worker passes its own: the explanation needs a backward pass, so it runs
// where the model lives, as its own kind of job (explain() takes a batch; jobs can be batched like predictions).

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Model } from '../../engine/graph/model.js';
import { Tensor } from '../../engine/tensor.js';
import { explain, type ClassScore } from '../../explain/explain.js';
import { isEmptyGradCam } from '../../explain/gradcam.js';
import { HttpError } from '../inputs.js';

export interface ExplainResponse {
  label: number;
  className: string;
  /** The class explained: the predicted one, or the one asked for with ?class=N. */
  explained: number;
  probabilities: number[];
  top: (ClassScore & { className: string })[];
  /** 784 values 0..1: |∂ logit / ∂ pixel| divided by saliencyScale. */
  saliency: number[];
  /** The largest |∂ logit / ∂ pixel|. */
  saliencyScale: number;
  /** Grad-CAM over `layer`, upsampled to 28x28 and divided by its maximum; `empty` when it is zero everywhere. */
  gradCam: { layer: string; heatmap: number[]; empty: boolean } | null;
}

export interface ExplainRouteSteps {
  /** The request's body as the model's 784 pixels 0..1 (the decoding /api/predict uses). */
  pixels: (req: FastifyRequest) => Float32Array | Promise<Float32Array>;
  /** The explanation of one image. */
  explain: (pixels: Float32Array, classIndex: number | undefined) => ExplainResponse | Promise<ExplainResponse>;
}

export function registerExplainRoute(app: FastifyInstance, steps: ExplainRouteSteps): void {
  app.post('/api/explain', async (req) => {
    const classIndex = classParam(req);
    return steps.explain(await steps.pixels(req), classIndex);
  });
  app.route({ method: ['GET', 'PUT', 'DELETE', 'PATCH'], url: '/api/explain', handler: async (req, reply) => {
    reply.header('allow', 'POST');
    throw new HttpError(405, `${req.method} /api/explain: use POST with a PNG or JPEG body, or JSON {"pixels": [...]}`);
  } });
}

/** Explains one image (as the model takes it) with the model (where the model is: the server process or its worker). */
export function explainDigit(model: Model, pixels: Float32Array, classIndex?: number, classNames?: string[]): ExplainResponse {
  const classes = model.outputShape[0];
  if (classIndex !== undefined && classIndex >= classes) throw new HttpError(400, `class ${classIndex} is not one of the model's classes 0..${classes - 1}`);
  const [e] = explain(model, new Tensor(pixels, [1, ...model.inputShape]), { classIndex });
  const name = (i: number): string => classNames?.[i] ?? String(i);
  let scale = 0;
  for (const v of e.saliency) scale = Math.max(scale, v);
  const round = (v: number): number => Number(v.toFixed(4));
  return {
    label: e.top[0].index,
    className: name(e.top[0].index),
    explained: e.classIndex,
    probabilities: Array.from(e.probabilities, (p) => Number(p.toFixed(6))),
    top: e.top.map((c) => ({ index: c.index, className: name(c.index), p: Number(c.p.toFixed(6)) })),
    saliency: Array.from(e.saliency, (v) => (scale > 0 ? round(v / scale) : 0)),
    saliencyScale: scale,
    gradCam: e.gradCam ? { layer: e.gradCam.layer, heatmap: Array.from(e.gradCam.heatmap, round), empty: isEmptyGradCam(e.gradCam) } : null,
  };
}

function classParam(req: FastifyRequest): number | undefined {
  const v = (req.query as Record<string, unknown> | undefined)?.class;
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new HttpError(400, `?class=${String(v)}: give the index of a class, a whole number from 0`);
  return Number(v);
}
