// The headers every response carries: no MIME sniffing, no framing, no referrer, and a Content-Security-
// Policy chosen by route. The page may run its own scripts, WebAssembly and workers (its own or from blobs)
// and fetch from this server only; the report (one self-contained HTML file) may use only its inline styles
// and data: images; everything else (JSON, model files, figures) may do nothing at all. The API answers
// cross-origin requests (it is stateless and takes no credentials); nothing else does.

export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const REPORT_CSP = ["default-src 'none'", "style-src 'unsafe-inline'", 'img-src data:', "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"].join('; ');

export const NONE_CSP = ["default-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"].join('; ');

/** Headers on every response, whatever its route. */
export const COMMON_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

export type RouteKind = 'api' | 'model' | 'report' | 'page';

/** Which policy a path falls under. */
export function routeKind(url: string): RouteKind {
  const path = url.split('?')[0];
  if (path.startsWith('/api/') || path === '/api') return 'api';
  if (path.startsWith('/model/')) return 'model';
  if (path.startsWith('/report/') || path === '/report') return 'report';
  return 'page';
}

/** The headers for a response on `url`: the common ones, the route's CSP, and CORS for the API. */
export function securityHeaders(url: string): Record<string, string> {
  const kind = routeKind(url);
  const csp = kind === 'page' ? PAGE_CSP : kind === 'report' && !/\/figures\//.test(url) ? REPORT_CSP : NONE_CSP;
  const h: Record<string, string> = { ...COMMON_HEADERS, 'content-security-policy': csp };
  if (kind === 'api') {
    h['access-control-allow-origin'] = '*';
    h['cross-origin-resource-policy'] = 'cross-origin';
  } else {
    h['cross-origin-resource-policy'] = 'same-origin';
  }
  return h;
}

/** What OPTIONS answers on `url`: the methods it takes and, for the API, the CORS preflight. */
export function optionsHeaders(url: string): Record<string, string> {
  const path = url.split('?')[0];
  const allow = path === '/api/predict' ? 'POST, OPTIONS' : 'GET, HEAD, OPTIONS';
  if (routeKind(url) !== 'api') return { allow };
  return {
    allow,
    'access-control-allow-methods': allow,
    'access-control-allow-headers': 'content-type',
    'access-control-max-age': '600',
  };
}
