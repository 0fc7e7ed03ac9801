// Closeness assertions for float32 results: norm-relative tolerances (a few large errors fail, rounding
// noise spread over many values does not), and messages that say where the worst difference is.

import assert from 'node:assert/strict';

type Floats = ArrayLike<number>;

/** ‖a − b‖₂ / max(‖b‖₂, tiny): the relative error of a whole array. */
export function relNormError(a: Floats, b: Floats): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}

export function maxAbsDiff(a: Floats, b: Floats): { diff: number; at: number } {
  let diff = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= diff)) {
      diff = d;
      at = i;
    }
  }
  return { diff, at };
}

/** Asserts equal length and ‖got − want‖ ≤ rel·‖want‖ (and, when `elementRel` is given, every element within elementRel·max|want|). */
export function assertClose(got: Floats, want: Floats, what: string, rel = 1e-5, elementRel?: number): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, expected ${want.length}`);
  const err = relNormError(got, want);
  const { diff, at } = maxAbsDiff(got, want);
  const detail = `worst at index ${at}: got ${got[at]}, expected ${want[at]}`;
  assert.ok(err <= rel, `${what}: relative error ${err.toExponential(2)} > ${rel} (${detail})`);
  if (elementRel !== undefined) {
    let scale = 0;
    for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
    assert.ok(diff <= elementRel * scale, `${what}: max difference ${diff.toExponential(2)} > ${elementRel}·max|expected| (${detail})`);
  }
}

/** Asserts every |got − want| ≤ tol (absolute), naming the worst element. */
export function assertWithin(got: Floats, want: Floats, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, expected ${want.length}`);
  const { diff, at } = maxAbsDiff(got, want);
  assert.ok(diff <= tol, `${what}: max |difference| ${diff.toExponential(2)} > ${tol} at index ${at} (got ${got[at]}, expected ${want[at]})`);
}
