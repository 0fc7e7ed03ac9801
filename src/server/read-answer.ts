// The answer of POST /api/read, made where the reading runs (a decoding worker, decode-worker.ts):
// {"number", "digits": [{"label", "confidence", "box"}], "width", "height"}; "number" is "" when the
// image holds no digit.

import type { RawImage } from '../data/preprocess.js';
import { readNumber, type DigitModel } from '../read/index.js';

export interface ReadAnswer {
  number: string;
  digits: { label: number; confidence: number; box: { x: number; y: number; width: number; height: number } }[];
  width: number;
  height: number;
}

export function readAnswer(img: RawImage, model: DigitModel): ReadAnswer {
  const r = readNumber(img, model);
  const digits = r.digits.map((d) => ({ label: d.label, confidence: Number(d.confidence.toFixed(6)), box: d.box }));
  return { number: r.number, digits, width: img.width, height: img.height };
}
