import { HangarError, throwIfProblems, type Problem } from '../errors/hangar-error.js';

/** A literal a choice may offer (az ml allows strings, numbers, booleans). */
export type Literal = string | number | boolean;

/**
 * One search-space expression, as az ml's YAML writes it (`{type: uniform, min_value, max_value}`).
 * A `choice` value may be a map of further expressions or literals: a conditional (nested) space.
 */
export type Expression =
  | { type: 'choice'; values: ChoiceValue[] }
  | { type: 'randint'; upper: number }
  | { type: 'uniform' | 'loguniform'; min_value: number; max_value: number }
  | { type: 'quniform' | 'qloguniform'; min_value: number; max_value: number; q: number }
  | { type: 'normal' | 'lognormal'; mu: number; sigma: number }
  | { type: 'qnormal' | 'qlognormal'; mu: number; sigma: number; q: number };

/** A choice's value: a literal, or (nested space) a map of names to literals or expressions. */
export type ChoiceValue = Literal | { [name: string]: Literal | Expression };

/** A parsed search space: parameter name → expression. */
export type SearchSpace = Record<string, Expression>;

/** The sampled parameters of one trial (nested choices flattened: their inner names are parameters). */
export type Params = Record<string, Literal>;

export type ExpressionType = Expression['type'];

/** Every distribution az ml offers, with the YAML fields each requires. */
export const expressionFields: Readonly<Record<ExpressionType, readonly string[]>> = {
  choice: ['values'],
  randint: ['upper'],
  uniform: ['min_value', 'max_value'],
  loguniform: ['min_value', 'max_value'],
  quniform: ['min_value', 'max_value', 'q'],
  qloguniform: ['min_value', 'max_value', 'q'],
  normal: ['mu', 'sigma'],
  lognormal: ['mu', 'sigma'],
  qnormal: ['mu', 'sigma', 'q'],
  qlognormal: ['mu', 'sigma', 'q'],
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
const isLiteral = (v: unknown): v is Literal =>
  typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean';
const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));

/** The REST array form (`["uniform", [0, 1]]`, as azure-ai-ml sends a standalone sweep) in YAML form. */
function fromRestArray(raw: unknown[]): unknown {
  const [type, args] = raw;
  if (typeof type !== 'string' || !Array.isArray(args) || !Object.hasOwn(expressionFields, type)) return raw;
  const t = type as ExpressionType;
  if (t === 'choice') return { type: t, values: Array.isArray(args[0]) ? args[0] : args };
  const entries: [string, unknown][] = [
    ['type', t],
    ...expressionFields[t].map((f, i): [string, unknown] => [f, args[i]]),
  ];
  return Object.fromEntries(entries);
}

/**
 * Parses a search space, collecting every problem with the field the user wrote
 * (`search_space.lr.min_value: must be a number; got "a"`).
 */
export function parseSearchSpace(raw: unknown, field = 'search_space'): SearchSpace {
  if (!isObject(raw) || Object.keys(raw).length === 0)
    throw new HangarError(
      'ValidationFailed',
      `${field}: required, a mapping of parameter names to distributions (choice, uniform, …); got ${show(raw)}`,
      field,
    );
  const problems: Problem[] = [];
  const space: SearchSpace = {};
  for (const [name, value] of Object.entries(raw)) {
    const target = `${field}.${name}`;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      problems.push({
        code: 'ValidationFailed',
        target,
        message: `${target}: parameter names are letters, digits and _ (used as \${{search_space.${name}}})`,
      });
      continue;
    }
    const e = parseExpression(value, target, problems);
    if (e) space[name] = e;
  }
  throwIfProblems(problems);
  checkNestedNames(space, field);
  return space;
}

function parseExpression(raw: unknown, target: string, problems: Problem[]): Expression | undefined {
  const value = Array.isArray(raw) ? fromRestArray(raw) : raw;
  const problem = (at: string, message: string): undefined => {
    problems.push({ code: 'ValidationFailed', target: at, message: `${at}: ${message}` });
    return undefined;
  };
  if (!isObject(value))
    return problem(
      target,
      `must be a distribution such as {type: uniform, min_value: 0, max_value: 1}; got ${show(raw)}`,
    );
  const type = value.type;
  if (typeof type !== 'string' || !Object.hasOwn(expressionFields, type))
    return problem(
      `${target}.type`,
      `must be one of ${Object.keys(expressionFields).join(', ')}; got ${show(type)}`,
    );
  const t = type as ExpressionType;
  const allowed = new Set(['type', ...expressionFields[t]]);
  const unknown = Object.keys(value).filter((k) => !allowed.has(k));
  if (unknown.length > 0)
    return problem(
      `${target}.${unknown[0]}`,
      `unknown field for a ${t} distribution (its fields: ${expressionFields[t].join(', ')})`,
    );
  if (t === 'choice') {
    const values = value.values;
    if (!Array.isArray(values) || values.length === 0)
      return problem(`${target}.values`, `required, a non-empty list; got ${show(values)}`);
    const parsed: ChoiceValue[] = [];
    for (const [i, v] of values.entries()) {
      if (isLiteral(v)) parsed.push(v);
      else if (isObject(v)) {
        const nested: Record<string, Literal | Expression> = {};
        for (const [k, inner] of Object.entries(v)) {
          if (isLiteral(inner)) nested[k] = inner;
          else {
            const e = parseExpression(inner, `${target}.values[${i}].${k}`, problems);
            if (e) nested[k] = e;
          }
        }
        parsed.push(nested);
      } else
        problem(`${target}.values[${i}]`, `must be a string, number, boolean or mapping; got ${show(v)}`);
    }
    return { type: t, values: parsed };
  }
  const nums: Record<string, number> = {};
  let ok = true;
  for (const f of expressionFields[t]) {
    const v = value[f];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      problem(`${target}.${f}`, `required, a number; got ${show(v)}`);
      ok = false;
    } else nums[f] = v;
  }
  if (!ok) return undefined;
  const n = (f: string): number => nums[f] ?? NaN;
  if (t === 'randint') {
    if (!Number.isInteger(n('upper')) || n('upper') < 1)
      return problem(`${target}.upper`, `must be an integer ≥ 1 (values are 0 … upper-1); got ${n('upper')}`);
    return { type: t, upper: n('upper') };
  }
  if ('q' in nums && !(n('q') > 0)) return problem(`${target}.q`, `must be > 0; got ${n('q')}`);
  if ('sigma' in nums && !(n('sigma') > 0))
    return problem(`${target}.sigma`, `must be > 0; got ${n('sigma')}`);
  if ('min_value' in nums && !(n('min_value') <= n('max_value')))
    return problem(`${target}.max_value`, `must be ≥ min_value (${n('min_value')}); got ${n('max_value')}`);
  return { type: t, ...nums } as Expression;
}

/** Names nested choices introduce must not collide with top-level parameters. */
function checkNestedNames(space: SearchSpace, field: string): void {
  for (const [name, e] of Object.entries(space)) {
    if (e.type !== 'choice') continue;
    for (const [i, v] of e.values.entries()) {
      if (!isObject(v)) continue;
      for (const inner of Object.keys(v))
        if (inner !== name && Object.hasOwn(space, inner))
          throw new HangarError(
            'ValidationFailed',
            `${field}.${name}.values[${i}].${inner}: also a top-level parameter; nested choice parameters need their own names`,
            `${field}.${name}.values[${i}].${inner}`,
          );
    }
  }
}

/**
 * The unit-cube layout of a space: one dimension per expression, nested ones included (whether or
 * not their branch is chosen), in a fixed order, so a point of [0,1)^d names one trial.
 */
export function dimensions(space: SearchSpace): { path: string; expression: Expression }[] {
  const out: { path: string; expression: Expression }[] = [];
  const walk = (path: string, e: Expression): void => {
    out.push({ path, expression: e });
    if (e.type !== 'choice') return;
    e.values.forEach((v, i) => {
      if (!isObject(v)) return;
      for (const [k, inner] of Object.entries(v)) if (!isLiteral(inner)) walk(`${path}[${i}].${k}`, inner);
    });
  };
  for (const [name, e] of Object.entries(space)) walk(name, e);
  return out;
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const u = Math.min(Math.max(p, 1e-12), 1 - 1e-12);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const [a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0] = a;
  const [b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0] = b;
  const [c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0] = c;
  const [d0 = 0, d1 = 0, d2 = 0, d3 = 0] = d;
  const low = 0.02425;
  if (u < low) {
    const q = Math.sqrt(-2 * Math.log(u));
    return (
      (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  if (u > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - u));
    return (
      -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  const q = u - 0.5;
  const r = q * q;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
}

/** Rounds to a multiple of q, as az ml's q-distributions do (round(x / q) · q), without float noise. */
function quantize(x: number, q: number): number {
  const v = Math.round(x / q) * q;
  return Number(v.toPrecision(12));
}

/** The value of one expression at unit coordinate u ∈ [0, 1) (inverse-CDF sampling). */
export function valueAt(e: Expression, u: number): Literal | number {
  switch (e.type) {
    case 'choice':
      return choiceIndex(e, u);
    case 'randint':
      return Math.min(e.upper - 1, Math.floor(u * e.upper));
    case 'uniform':
      return e.min_value + u * (e.max_value - e.min_value);
    case 'loguniform':
      return Math.exp(e.min_value + u * (e.max_value - e.min_value));
    case 'quniform':
      return quantize(e.min_value + u * (e.max_value - e.min_value), e.q);
    case 'qloguniform':
      return quantize(Math.exp(e.min_value + u * (e.max_value - e.min_value)), e.q);
    case 'normal':
      return e.mu + e.sigma * normalQuantile(u);
    case 'lognormal':
      return Math.exp(e.mu + e.sigma * normalQuantile(u));
    case 'qnormal':
      return quantize(e.mu + e.sigma * normalQuantile(u), e.q);
    case 'qlognormal':
      return quantize(Math.exp(e.mu + e.sigma * normalQuantile(u)), e.q);
  }
}

function choiceIndex(e: { values: unknown[] }, u: number): number {
  return Math.min(e.values.length - 1, Math.floor(u * e.values.length));
}

/**
 * The parameters at a point of the unit cube (laid out by `dimensions`). A nested choice's chosen
 * map contributes its entries as parameters of their own (`kernel: rbf, gamma: 0.3`).
 */
export function paramsAt(space: SearchSpace, unit: readonly number[]): Params {
  const dims = dimensions(space);
  const coordinate = new Map(dims.map((d, i) => [d.path, unit[i] ?? 0.5]));
  const params: Params = {};
  const assign = (name: string, path: string, e: Expression): void => {
    const u = coordinate.get(path) ?? 0.5;
    if (e.type !== 'choice') {
      params[name] = valueAt(e, u);
      return;
    }
    const i = choiceIndex(e, u);
    const chosen = e.values[i];
    if (!isObject(chosen)) {
      params[name] = chosen as Literal;
      return;
    }
    for (const [k, inner] of Object.entries(chosen))
      if (isLiteral(inner)) params[k] = inner;
      else assign(k, `${path}[${i}].${k}`, inner);
  };
  for (const [name, e] of Object.entries(space)) assign(name, name, e);
  return params;
}

/** Every parameter name a trial may get (top level and nested), for checking `${{search_space.x}}`. */
export function parameterNames(space: SearchSpace): Set<string> {
  const names = new Set<string>();
  const walk = (name: string, e: Expression): void => {
    if (e.type !== 'choice' || !e.values.some(isObject)) {
      names.add(name);
      return;
    }
    for (const v of e.values) {
      if (!isObject(v)) names.add(name);
      else
        for (const [k, inner] of Object.entries(v)) {
          if (isLiteral(inner)) names.add(k);
          else walk(k, inner);
        }
    }
  };
  for (const [name, e] of Object.entries(space)) walk(name, e);
  return names;
}

/**
 * Grid points: every combination of choice values (nested choices expanded per branch), as unit
 * points at the middle of each value's bin, so `paramsAt` maps them back exactly.
 */
export function gridPoints(space: SearchSpace): number[][] {
  const dims = dimensions(space);
  const index = new Map(dims.map((d, i) => [d.path, i]));
  let points: number[][] = [dims.map(() => 0.5)];
  const expand = (path: string, e: Expression, pts: number[][]): number[][] => {
    if (e.type !== 'choice') return pts; // refused for grid by the spec check
    const di = index.get(path) ?? 0;
    const out: number[][] = [];
    for (const p of pts)
      e.values.forEach((v, i) => {
        let branch = [[...p.slice(0, di), (i + 0.5) / e.values.length, ...p.slice(di + 1)]];
        if (isObject(v))
          for (const [k, inner] of Object.entries(v))
            if (!isLiteral(inner)) branch = expand(`${path}[${i}].${k}`, inner, branch);
        out.push(...branch);
      });
    return out;
  };
  for (const [name, e] of Object.entries(space)) points = expand(name, e, points);
  return points;
}

/** Distribution types used anywhere in the space (nested included). */
export function typesUsed(space: SearchSpace): Map<ExpressionType, string> {
  const used = new Map<ExpressionType, string>();
  for (const d of dimensions(space)) if (!used.has(d.expression.type)) used.set(d.expression.type, d.path);
  return used;
}
