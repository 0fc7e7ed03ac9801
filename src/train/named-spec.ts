// The `NAME[,key=value...]` options of `digitnet train` (--schedule, --optimizer): a name from a table, then
// numeric parameters, each with a range and a default. Parsing fills in the defaults and says in one line,
// naming the option, what was unknown or out of range; formatting writes the canonical form that run.json
// and a backup record. Browser-safe.

export interface Param {
  min: number;
  max: number;
  default: number;
  help: string;
  /** Only whole numbers (a flag is 0 or 1). */
  integer?: boolean;
}

export type SpecTable = Record<string, { help: string; params: Record<string, Param> }>;

export interface NamedSpec {
  name: string;
  params: Record<string, number>;
}

/** Parses `text` against `table`; `kind` names the table's entries in errors ('schedule', 'optimizer'). */
export function parseNamedSpec(text: string, table: SpecTable, option: string, kind: string): NamedSpec {
  const [head, ...rest] = text.split(',').map((p) => p.trim());
  if (!Object.hasOwn(table, head)) throw new Error(`${option}: unknown ${kind} '${head}'; choose one of ${Object.keys(table).join(', ')}`);
  const def = table[head];
  const params: Record<string, number> = Object.fromEntries(Object.entries(def.params).map(([k, p]) => [k, p.default]));
  for (const part of rest) {
    const m = /^([a-z_][a-z0-9_]*)=([^=]+)$/.exec(part);
    if (!m) throw new Error(`${option}: '${part}' is not name=value`);
    if (!Object.hasOwn(def.params, m[1])) {
      const known = Object.keys(def.params);
      throw new Error(`${option}: '${head}' has no parameter '${m[1]}'${known.length ? `; it takes ${known.join(', ')}` : ''}`);
    }
    const p = def.params[m[1]];
    const v = Number(m[2]);
    if (!Number.isFinite(v) || v < p.min || v > p.max || (p.integer && !Number.isInteger(v))) {
      throw new Error(`${option}: ${m[1]}=${m[2]} is out of range (${p.integer ? 'a whole number, ' : ''}${p.min} to ${p.max}: ${p.help})`);
    }
    params[m[1]] = v;
  }
  return { name: head, params };
}

/** The spec as the option writes it: every parameter, or, given the table, those that differ from their defaults. */
export function formatNamedSpec(s: NamedSpec, table?: SpecTable): string {
  const shown = Object.entries(s.params).filter(([k, v]) => !table || v !== table[s.name].params[k].default);
  return [s.name, ...shown.map(([k, v]) => `${k}=${v}`)].join(',');
}
