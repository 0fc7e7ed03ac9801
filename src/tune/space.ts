// A search space: named parameters of four kinds (choice, int, uniform, loguniform), each optionally
// conditional on other parameters' values (`"when": {"arch": "vgg"}`). Parsed and checked once, where
// the JSON arrives; the samplers, the study database and the report all take the parsed form.

export type Value = number | string | boolean;
export type Params = Record<string, Value>;

/** Values a parent must take for a parameter to be active: all listed parents, each one of its values. */
export type Condition = Record<string, Value[]>;

interface Common {
  name: string;
  when?: Condition;
}
export interface ChoiceParam extends Common {
  kind: 'choice';
  choices: Value[];
}
export interface NumericParam extends Common {
  kind: 'int' | 'uniform' | 'loguniform';
  low: number;
  high: number;
  /** Spacing of the allowed values (ints: 1 unless given; floats: null for a continuum). */
  step: number | null;
  log: boolean;
  /** How many values grid search takes from a continuum (or an int range, when given). */
  points: number | null;
}
export type Param = ChoiceParam | NumericParam;

/** Parameters in dependency order: every parent comes before the parameters that depend on it. */
export interface Space {
  params: Param[];
}

export const KINDS = ['choice', 'int', 'uniform', 'loguniform'] as const;
const KEYS = new Set<string>([...KINDS, 'when', 'step', 'log', 'points']);
/** Grid search's number of values from a continuum when the space does not say. */
export const DEFAULT_GRID_POINTS = 5;

/** Parses and checks a space; `source` names the file in every error. */
export function parseSpace(json: unknown, source = 'space'): Space {
  if (!isObject(json)) throw new Error(`${source}: a search space is a JSON object of parameters, e.g. {"lr": {"loguniform": [0.0001, 0.01]}}`);
  const names = Object.keys(json);
  if (names.length === 0) throw new Error(`${source}: the search space has no parameters`);
  const params = names.map((name) => parseParam(name, json[name], `${source}: parameter '${name}'`));
  checkConditions(params, source);
  return { params: dependencyOrder(params, source) };
}

function parseParam(name: string, spec: unknown, where: string): Param {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) throw new Error(`${where}: a name of letters, digits, '_', '.' and '-' is needed`);
  if (!isObject(spec)) throw new Error(`${where}: expected an object such as {"uniform": [0, 1]}, got ${brief(spec)}`);
  for (const k of Object.keys(spec)) {
    if (!KEYS.has(k)) throw new Error(`${where}: unknown parameter kind or key '${k}' (kinds: ${KINDS.join(', ')}; keys: when, step, log, points)`);
  }
  const kinds = KINDS.filter((k) => k in spec);
  if (kinds.length !== 1) throw new Error(`${where}: give exactly one kind of ${KINDS.join(', ')}, got ${kinds.length ? kinds.join(' and ') : 'none'}`);
  const kind = kinds[0];
  const when = spec.when === undefined ? undefined : parseWhen(spec.when, where);
  if (kind === 'choice') {
    for (const k of ['step', 'log', 'points']) if (k in spec) throw new Error(`${where}: '${k}' does not apply to a choice`);
    return { name, kind, choices: parseChoices(spec.choice, where), ...(when && { when }) };
  }
  return { name, ...parseNumeric(kind, spec, where), ...(when && { when }) };
}

function parseChoices(v: unknown, where: string): Value[] {
  if (!Array.isArray(v)) throw new Error(`${where}: choice takes a list of values, got ${brief(v)}`);
  if (v.length === 0) throw new Error(`${where}: empty range: choice has no values`);
  const seen = new Set<string>();
  for (const c of v) {
    if (!isValue(c)) throw new Error(`${where}: choices must be numbers, strings or booleans, got ${brief(c)}`);
    const key = JSON.stringify(c);
    if (seen.has(key)) throw new Error(`${where}: the choice ${key} is listed twice`);
    seen.add(key);
  }
  return v as Value[];
}

function parseNumeric(kind: NumericParam['kind'], spec: Record<string, unknown>, where: string): Omit<NumericParam, 'name' | 'when'> {
  const range = spec[kind];
  if (!Array.isArray(range) || range.length !== 2 || !range.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new Error(`${where}: ${kind} takes [low, high] as two finite numbers, got ${brief(range)}`);
  }
  const [low, high] = range as [number, number];
  const isInt = kind === 'int';
  if (isInt && !(Number.isInteger(low) && Number.isInteger(high))) throw new Error(`${where}: int takes whole-number bounds, got [${low}, ${high}]`);
  if (isInt ? high < low : high <= low) throw new Error(`${where}: empty range: ${kind} [${low}, ${high}] needs low ${isInt ? '<=' : '<'} high`);
  const log = kind === 'loguniform' || spec.log === true;
  if (spec.log !== undefined && typeof spec.log !== 'boolean') throw new Error(`${where}: log must be true or false, got ${brief(spec.log)}`);
  if (kind !== 'int' && spec.log !== undefined) throw new Error(`${where}: 'log' applies to int only (use loguniform for a float on a log scale)`);
  if (log && low <= 0) throw new Error(`${where}: ${kind}${kind === 'int' ? ' with log' : ''} needs positive bounds, got [${low}, ${high}]`);
  const step = parseStep(spec.step, isInt, log, low, high, where);
  const points = spec.points === undefined ? null : positiveInt(spec.points, `${where}: points`, 2);
  return { kind, low, high, step, log, points };
}

function parseStep(v: unknown, isInt: boolean, log: boolean, low: number, high: number, where: string): number | null {
  if (v === undefined) return isInt ? 1 : null;
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new Error(`${where}: step must be a positive number, got ${brief(v)}`);
  if (isInt && !Number.isInteger(v)) throw new Error(`${where}: an int's step must be a whole number, got ${v}`);
  if (log && v !== 1) throw new Error(`${where}: a log-scaled parameter cannot have a step (got ${v})`);
  const n = (high - low) / v;
  if (Math.abs(n - Math.round(n)) > 1e-9 * Math.max(1, n)) throw new Error(`${where}: the range [${low}, ${high}] is not a whole number of steps of ${v}`);
  return v;
}

function parseWhen(v: unknown, where: string): Condition {
  if (!isObject(v) || Object.keys(v).length === 0) throw new Error(`${where}: when takes an object of parent values, e.g. {"arch": "vgg"}, got ${brief(v)}`);
  const out: Condition = {};
  for (const [parent, values] of Object.entries(v)) {
    const list = Array.isArray(values) ? values : [values];
    if (list.length === 0 || !list.every(isValue)) throw new Error(`${where}: when.${parent} must be a value or a list of values, got ${brief(values)}`);
    out[parent] = list as Value[];
  }
  return out;
}

/** Each condition names an existing choice or int parameter and values it can take. */
function checkConditions(params: Param[], source: string): void {
  const byName = new Map(params.map((p) => [p.name, p]));
  for (const p of params) {
    for (const [parent, values] of Object.entries(p.when ?? {})) {
      const q = byName.get(parent);
      const where = `${source}: parameter '${p.name}': when.${parent}`;
      if (!q) throw new Error(`${where}: no parameter '${parent}' in the space`);
      if (q.kind !== 'choice' && q.kind !== 'int') throw new Error(`${where}: a condition needs a choice or int parent, '${parent}' is ${q.kind}`);
      for (const v of values) {
        if (!valueInParam(q, v)) throw new Error(`${where}: ${JSON.stringify(v)} is not a value '${parent}' can take`);
      }
    }
  }
}

/** Parents before children (a stable topological sort); a cycle of conditions is an error. */
function dependencyOrder(params: Param[], source: string): Param[] {
  const out: Param[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const byName = new Map(params.map((p) => [p.name, p]));
  const visit = (p: Param, path: string[]): void => {
    if (state.get(p.name) === 'done') return;
    if (state.get(p.name) === 'visiting') throw new Error(`${source}: conditions form a cycle: ${[...path, p.name].join(' → ')}`);
    state.set(p.name, 'visiting');
    for (const parent of Object.keys(p.when ?? {})) visit(byName.get(parent)!, [...path, p.name]);
    state.set(p.name, 'done');
    out.push(p);
  };
  for (const p of params) visit(p, []);
  return out;
}

/** Whether `v` is one of the values `p` can take. */
export function valueInParam(p: Param, v: Value): boolean {
  if (p.kind === 'choice') return p.choices.some((c) => c === v);
  if (typeof v !== 'number' || v < p.low || v > p.high) return false;
  if (p.kind === 'int' && !Number.isInteger(v)) return false;
  if (p.step === null || p.log) return true;
  const k = (v - p.low) / p.step;
  return Math.abs(k - Math.round(k)) < 1e-9;
}

/** Whether `p` is active given the values chosen so far for its parents. */
export function isActive(p: Param, chosen: Params): boolean {
  if (!p.when) return true;
  return Object.entries(p.when).every(([parent, values]) => parent in chosen && values.some((v) => v === chosen[parent]));
}

/** The parameters active in a complete assignment, in the space's order. */
export function activeParams(space: Space, params: Params): Param[] {
  const chosen: Params = {};
  const out: Param[] = [];
  for (const p of space.params) {
    if (!isActive(p, chosen) || !(p.name in params)) continue;
    chosen[p.name] = params[p.name];
    out.push(p);
  }
  return out;
}

/** Checks that `params` is an assignment the space allows: every active parameter set, in range, no others. */
export function checkParams(space: Space, params: Params): void {
  const chosen: Params = {};
  for (const p of space.params) {
    const active = isActive(p, chosen);
    if (active && !(p.name in params)) throw new Error(`parameter '${p.name}' is active but has no value`);
    if (!active && p.name in params) throw new Error(`parameter '${p.name}' is set although its condition does not hold`);
    if (!active) continue;
    if (!valueInParam(p, params[p.name])) throw new Error(`parameter '${p.name}' = ${JSON.stringify(params[p.name])} is outside its range`);
    chosen[p.name] = params[p.name];
  }
  for (const k of Object.keys(params)) if (!space.params.some((p) => p.name === k)) throw new Error(`parameter '${k}' is not in the space`);
}

/** The space back as JSON, in its own order: what the study database stores and compares. */
export function spaceJson(space: Space): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of space.params) {
    const o: Record<string, unknown> = p.kind === 'choice' ? { choice: p.choices } : { [p.kind]: [p.low, p.high] };
    if (p.kind === 'int' && p.step !== 1) o.step = p.step;
    if (p.kind === 'int' && p.log) o.log = true;
    if (p.kind !== 'choice' && p.kind !== 'int' && p.step !== null) o.step = p.step;
    if (p.kind !== 'choice' && p.points !== null) o.points = p.points;
    if (p.when) o.when = p.when;
    out[p.name] = o;
  }
  return out;
}

/** One canonical string per space (parameters sorted by name), to tell whether two spaces are the same. */
export function spaceKey(space: Space): string {
  const j = spaceJson(space);
  return JSON.stringify(Object.keys(j).sort().map((k) => [k, j[k]]));
}

/** A value as people read it: floats to 4 significant digits (0.0008273), others as they are. */
export function formatValue(v: Value): string {
  if (typeof v !== 'number' || Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}

/** A short text for one parameter: `lr: loguniform [0.0001, 0.01]`. */
export function describeParam(p: Param): string {
  const range = p.kind === 'choice' ? `choice ${JSON.stringify(p.choices)}` : `${p.kind}${p.kind === 'int' && p.log ? ' (log)' : ''} [${p.low}, ${p.high}]${p.step !== null && p.step !== 1 ? ` step ${p.step}` : ''}`;
  const when = p.when ? ` when ${Object.entries(p.when).map(([k, v]) => `${k} in ${JSON.stringify(v)}`).join(' and ')}` : '';
  return `${p.name}: ${range}${when}`;
}

function positiveInt(v: unknown, where: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`${where} must be a whole number of at least ${min}, got ${brief(v)}`);
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isValue(v: unknown): v is Value {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

function brief(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
