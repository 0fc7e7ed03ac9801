// The truncated normal distribution that TPE's Parzen estimators are made of: log Φ, the log of the
// probability mass between two points, log densities, and sampling by the inverse CDF. Computed in log
// space so that kernels far from a bound neither underflow nor lose their digits (as Optuna's
// _truncnorm.py does). erfc comes from its Taylor series near 0 and its continued fraction beyond: both
// to full double precision without tables of constants.

const SQRT2 = Math.SQRT2;
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
/** Where the continued fraction takes over from the series (which loses digits beyond). */
const CF_FROM = 1.5;

/** erf(x) for |x| < 1.5 by its Taylor series (terms alternate; about one digit is lost near 1.5). */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/**
 * log erfc(z) for z >= 1.5 by the continued fraction erfc(z) = e^{-z²}/√π · 1/(z + ½/(z + 1/(z + 3/2/(z + ...)))),
 * evaluated forward by Lentz's method until a term changes nothing (about 100 terms at 1.5, 20 at 5).
 */
function logErfcCf(z: number): number {
  const tiny = 1e-300;
  let f = z;
  let c = z;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = z + a * d;
    c = z + a / c;
    if (d === 0) d = tiny;
    if (c === 0) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 2e-16) break;
  }
  return -z * z - LOG_SQRT_PI - Math.log(f);
}

export function erfc(x: number): number {
  if (x >= CF_FROM) return Math.exp(logErfcCf(x));
  if (x <= -CF_FROM) return 2 - Math.exp(logErfcCf(-x));
  return 1 - erfSeries(x);
}

/** log Φ(x), Φ the standard normal CDF; exact in the far left tail where Φ underflows. */
export function logNdtr(x: number): number {
  const z = -x / SQRT2;
  if (z >= CF_FROM) return Math.log(0.5) + logErfcCf(z);
  return Math.log(0.5 * erfc(z));
}

/** log φ(x), φ the standard normal density. */
export function logNormPdf(x: number): number {
  return -0.5 * x * x - LOG_SQRT_2PI;
}

/** log(Φ(b) − Φ(a)) for a <= b, without cancellation in either tail. */
export function logGaussMass(a: number, b: number): number {
  if (b <= 0) return logDiff(logNdtr(b), logNdtr(a));
  if (a >= 0) return logDiff(logNdtr(-a), logNdtr(-b));
  // Across 0: 1 − Φ(a) − Φ(−b), both small terms.
  return Math.log1p(-Math.exp(logNdtr(a)) - Math.exp(logNdtr(-b)));
}

/** log(e^p − e^q) for p >= q. */
function logDiff(p: number, q: number): number {
  if (q === -Infinity) return p;
  return p + Math.log1p(-Math.exp(q - p));
}

/** log density at x of N(mu, sigma²) truncated to [low, high] (−∞ outside). */
export function truncNormLogPdf(x: number, mu: number, sigma: number, low: number, high: number): number {
  if (x < low || x > high) return -Infinity;
  return logNormPdf((x - mu) / sigma) - Math.log(sigma) - logGaussMass((low - mu) / sigma, (high - mu) / sigma);
}

/** The x with log Φ(x) = y (y <= 0): Newton's method on log Φ, kept inside a shrinking bracket. */
export function ndtriExp(y: number): number {
  if (y >= 0) return Infinity;
  if (y === -Infinity) return -Infinity;
  let lo = -40;
  let hi = 40;
  // A start from the tails' asymptotes: log Φ(x) ≈ −x²/2 on the left, Φ(x) ≈ 1 − e^y... near the right.
  let x = y < -2 ? -Math.sqrt(-2 * y - Math.log(-2 * y)) : y > -0.01 ? -Math.log(-y) / 4 + 1 : 0;
  for (let i = 0; i < 100; i++) {
    const f = logNdtr(x) - y;
    if (f > 0) hi = x;
    else lo = x;
    // d/dx log Φ(x) = φ(x) / Φ(x)
    const step = f * Math.exp(logNdtr(x) - logNormPdf(x));
    let next = x - step;
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (Math.abs(next - x) <= 1e-15 * Math.max(1, Math.abs(x))) return next;
    x = next;
  }
  return x;
}

/** The q-quantile (0 < q < 1) of the standard normal truncated to [a, b]. */
export function truncNormPpf(q: number, a: number, b: number): number {
  // Work in the left tail, where log Φ is accurate; mirror an interval that lies right of 0.
  if (a > 0) return -truncNormPpf(1 - q, -b, -a);
  const logMass = logGaussMass(a, b);
  const la = logNdtr(a);
  // log(Φ(a) + q·mass)
  const y = logSum(la, Math.log(q) + logMass);
  return Math.min(b, Math.max(a, ndtriExp(y)));
}

function logSum(p: number, q: number): number {
  const m = Math.max(p, q);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(Math.exp(p - m) + Math.exp(q - m));
}
