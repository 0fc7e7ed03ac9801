// Errors from loading a model, located: whatever a layer's constructor or a config of the wrong type throws
// comes out as one line that starts with the file and the layer, so that a user sees where the problem is.
// Browser-safe.

/**
 * Runs `f`; an error from inside it (a layer's own check, or a config of the wrong type) comes out as one
 * line that starts with `where`, with the config's values quoted safely.
 */
export function located<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    let m = String((e as Error)?.message ?? e).replace(/[\x00-\x1f\x7f]/g, ' ');
    if (m.length > 300) m = `${m.slice(0, 300)}…`;
    const source = where.split(': ')[0];
    throw new Error(m.startsWith(source) ? m : `${where}: ${e instanceof TypeError ? `malformed config (${m})` : m}`);
  }
}
