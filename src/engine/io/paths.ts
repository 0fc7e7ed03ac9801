// The one rule for a path that comes from outside (a weights path in model.json, a file name in a request)
// joined to a base folder: resolve it, then require that the result begins with every segment of the base.
// Comparing whole segments is what makes '/x/model2' and '/x/model-secrets' outside '/x/model', which a
// string prefix test lets through. Browser-safe (no Node APIs): '/' and '\' both separate segments, and
// a path that is absolute (a leading separator, a drive letter or a URL scheme) is taken as it stands.

/** The segments of a path after resolving '.', '..' and repeated separators; `absolute` tells whether it was. */
function segments(path: string): { absolute: boolean; parts: string[] } {
  const absolute = /^([\\/]|[A-Za-z]:[\\/]|[A-Za-z][A-Za-z0-9+.-]+:)/.test(path);
  const parts: string[] = [];
  for (const s of path.split(/[\\/]+/)) {
    if (s === '' || s === '.') continue;
    if (s === '..') parts.pop();
    else parts.push(s);
  }
  return { absolute, parts };
}

/**
 * `rel` joined to `base`, resolved; null when the result is not `base` itself or inside it.
 * `base` should be absolute (Node callers pass path.resolve(base)); the result uses '/' separators, with a
 * leading '/' when `base` has one.
 */
export function resolveInside(base: string, rel: string): string | null {
  const b = segments(base);
  const r = segments(rel);
  if (rel.includes('\0')) return null;
  // '..' is resolved against the base's segments, as path.resolve does, before the comparison.
  const joined = r.absolute ? r.parts : segments([...b.parts, ...rel.split(/[\\/]+/)].join('/')).parts;
  if (joined.length < b.parts.length || b.parts.some((s, i) => joined[i] !== s)) return null;
  return (/^[\\/]/.test(base) ? '/' : '') + joined.join('/');
}

/** resolveInside, or an error `${what}: '${rel}' leads outside ${base}`. */
export function joinInside(base: string, rel: string, what: string): string {
  const p = resolveInside(base, rel);
  if (p === null) throw new Error(`${what}: '${rel}' leads outside ${base}; only paths inside that folder are allowed`);
  return p;
}
