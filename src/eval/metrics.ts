// Classification metrics, with scikit-learn's conventions: a confusion matrix with rows the actual class
// and columns the predicted one; per-class precision, recall, F1 and support; macro and weighted averages;
// accuracy. A ratio whose denominator is zero (a class never predicted, or never present) is 0, as
// scikit-learn's default zero_division gives, without a warning. Every class 0..classes-1 is reported, as
// scikit-learn does when given labels=range(classes). Browser-safe.

export interface ClassMetrics {
  label: number;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface AverageMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationMetrics {
  accuracy: number;
  /** confusionMatrix[actual][predicted] = count. */
  confusionMatrix: number[][];
  perClass: ClassMetrics[];
  macroAvg: AverageMetrics;
  weightedAvg: AverageMetrics;
  /** Number of examples. */
  count: number;
}

/** Counts (actual, predicted) pairs; every value must be an integer in 0..classes-1. */
export function confusionMatrix(actual: ArrayLike<number>, predicted: ArrayLike<number>, classes = 10): number[][] {
  if (actual.length !== predicted.length) {
    throw new Error(`confusionMatrix: ${actual.length} actual labels but ${predicted.length} predictions`);
  }
  const cm = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const p = predicted[i];
    if (!isClass(a, classes) || !isClass(p, classes)) {
      throw new Error(`confusionMatrix: example ${i} has actual ${a} and predicted ${p}; both must be integers 0..${classes - 1}`);
    }
    cm[a][p]++;
  }
  return cm;
}

function isClass(v: number, classes: number): boolean {
  return Number.isInteger(v) && v >= 0 && v < classes;
}

/** a / b, or 0 when b is 0 (scikit-learn's zero_division default). */
export function safeDivide(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

/** All metrics from a confusion matrix. */
export function metricsFromConfusion(cm: number[][]): ClassificationMetrics {
  const k = cm.length;
  const count = cm.reduce((s, row) => s + row.reduce((a, b) => a + b, 0), 0);
  let correct = 0;
  const perClass: ClassMetrics[] = [];
  for (let c = 0; c < k; c++) {
    const tp = cm[c][c];
    correct += tp;
    const support = cm[c].reduce((a, b) => a + b, 0);
    const predicted = cm.reduce((s, row) => s + row[c], 0);
    const precision = safeDivide(tp, predicted);
    const recall = safeDivide(tp, support);
    // 2tp / (2tp + fp + fn) equals 2pr / (p + r) and is 0 whenever tp is 0, as scikit-learn computes it.
    const f1 = safeDivide(2 * tp, support + predicted);
    perClass.push({ label: c, precision, recall, f1, support });
  }
  const mean = (key: 'precision' | 'recall' | 'f1'): number => safeDivide(perClass.reduce((s, m) => s + m[key], 0), k);
  const weighted = (key: 'precision' | 'recall' | 'f1'): number => safeDivide(perClass.reduce((s, m) => s + m[key] * m.support, 0), count);
  return {
    accuracy: safeDivide(correct, count),
    confusionMatrix: cm.map((row) => [...row]),
    perClass,
    macroAvg: { precision: mean('precision'), recall: mean('recall'), f1: mean('f1'), support: count },
    weightedAvg: { precision: weighted('precision'), recall: weighted('recall'), f1: weighted('f1'), support: count },
    count,
  };
}

/** Confusion matrix and every metric from actual and predicted labels. */
export function classificationMetrics(actual: ArrayLike<number>, predicted: ArrayLike<number>, classes = 10): ClassificationMetrics {
  return metricsFromConfusion(confusionMatrix(actual, predicted, classes));
}

export interface ConfusedPair {
  actual: number;
  predicted: number;
  count: number;
}

/** The off-diagonal cells with the highest counts, largest first (ties: lower actual, then predicted, first). */
export function mostConfused(cm: number[][], n = 3): ConfusedPair[] {
  const pairs: ConfusedPair[] = [];
  cm.forEach((row, a) => row.forEach((count, p) => {
    if (a !== p && count > 0) pairs.push({ actual: a, predicted: p, count });
  }));
  pairs.sort((x, y) => y.count - x.count || x.actual - y.actual || x.predicted - y.predicted);
  return pairs.slice(0, n);
}
