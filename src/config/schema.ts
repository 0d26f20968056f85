/**
 * A tiny declarative schema for configuration objects: validate once at the edge (API,
 * config file, CLI), report every problem by path, never validate in the hot loop.
 */
import { shown as showValue } from '../core/shown.js';

export type NumberSpec = {
  kind: 'number';
  default: number;
  min?: number;
  max?: number;
  /** Value must be strictly greater than this. */
  gt?: number;
  integer?: boolean;
  doc?: string;
};
export type BooleanSpec = { kind: 'boolean'; default: boolean; doc?: string };
export type EnumSpec = { kind: 'enum'; default: string; values: readonly string[]; doc?: string };
export type StringSpec = { kind: 'string'; default: string; pattern?: RegExp; maxLength?: number; doc?: string };
export type ObjectSpec = { kind: 'object'; fields: Record<string, Spec>; doc?: string };
export type Spec = NumberSpec | BooleanSpec | EnumSpec | StringSpec | ObjectSpec;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** How a value is shown in a problem message (`(got number -1)`). */
export const describe = (v: unknown): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `a string`;
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
};

const numberRule = (s: NumberSpec): string => {
  const parts: string[] = [s.integer ? 'an integer' : 'a number'];
  if (s.gt !== undefined) parts.push(`> ${s.gt}`);
  if (s.min !== undefined && s.max !== undefined) parts.push(`between ${s.min} and ${s.max}`);
  else if (s.min !== undefined) parts.push(`>= ${s.min}`);
  else if (s.max !== undefined) parts.push(`<= ${s.max}`);
  return parts.join(' ');
};

/** The defaults of a spec as a plain value. */
export const defaultsOf = (spec: Spec): unknown => {
  if (spec.kind !== 'object') return spec.default;
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(spec.fields)) out[k] = defaultsOf(s);
  return out;
};

/**
 * Check a complete value against a spec; pushes one message per problem, each naming the path
 * (`simulation.tiers.active.maxNpcs must be an integer >= 0`). Unknown keys are problems too.
 */
export const checkValue = (
  spec: Spec,
  value: unknown,
  path: string,
  problems: string[],
  shown: (v: unknown) => string = describe,
): void => {
  const describe = shown;
  switch (spec.kind) {
    case 'number': {
      const ok =
        typeof value === 'number' &&
        Number.isFinite(value) &&
        (!spec.integer || Number.isInteger(value)) &&
        (spec.min === undefined || value >= spec.min) &&
        (spec.max === undefined || value <= spec.max) &&
        (spec.gt === undefined || value > spec.gt);
      if (!ok) problems.push(`${path} must be ${numberRule(spec)} (got ${describe(value)})`);
      return;
    }
    case 'boolean':
      if (typeof value !== 'boolean') problems.push(`${path} must be true or false (got ${describe(value)})`);
      return;
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value))
        problems.push(`${path} must be one of ${spec.values.join(', ')} (got ${describe(value)})`);
      return;
    case 'string':
      if (
        typeof value !== 'string' ||
        (spec.maxLength !== undefined && value.length > spec.maxLength) ||
        (spec.pattern !== undefined && !spec.pattern.test(value))
      )
        problems.push(
          `${path} must be a string${spec.maxLength !== undefined ? ` of at most ${spec.maxLength} characters` : ''}${spec.pattern ? ` matching ${spec.pattern}` : ''}`,
        );
      return;
    case 'object': {
      if (!isPlainObject(value)) {
        problems.push(`${path || 'config'} must be an object (got ${describe(value)})`);
        return;
      }
      for (const key of Object.keys(value)) {
        if (!Object.hasOwn(spec.fields, key))
          problems.push(`${path ? `${path}.` : ''}${key.length > 64 ? `${key.slice(0, 64)}…` : key} is not a known option`);
      }
      for (const [key, sub] of Object.entries(spec.fields)) {
        const p = path ? `${path}.${key}` : key;
        if (!Object.hasOwn(value, key)) problems.push(`${p} is required`);
        else checkValue(sub, value[key], p, problems, shown);
      }
    }
  }
};

/**
 * Deep-merge `patch` into `base` (plain objects merge, anything else replaces), returning a new
 * object; `base` is not modified. Non-object patches for object slots are left to validation.
 */
export const mergeDeep = (base: unknown, patch: unknown): unknown => {
  if (!isPlainObject(base) || !isPlainObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [k, v] of Object.entries(patch)) {
    // defineProperty, not assignment: a JSON key "__proto__" must stay an own (unknown) key that
    // validation reports, never become the object's prototype.
    const value = Object.hasOwn(out, k) ? mergeDeep(out[k], v) : structuredClone(v);
    Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
};

/** Most problems reported for one patch (a 64 KiB body of unknown keys would list thousands). */
export const MAX_PROBLEMS = 100;

/** The first {@link MAX_PROBLEMS} problems, plus a line saying how many more there were. */
export const capProblems = (problems: string[]): string[] =>
  problems.length <= MAX_PROBLEMS ? problems : [...problems.slice(0, MAX_PROBLEMS), `…and ${problems.length - MAX_PROBLEMS} more problems`];

/** Deepest nesting a config patch may have (the schema itself is 4 levels deep). */
export const MAX_PATCH_DEPTH = 32;

/**
 * Walk a patch without recursion: report nesting deeper than {@link MAX_PATCH_DEPTH} (also what a
 * cyclic object looks like) and values that are not data (functions, symbols, bigints), by path.
 */
const checkPatchShape = (patch: Record<string, unknown>, problems: string[]): void => {
  const stack: Array<[unknown, string, number]> = [[patch, '', 0]];
  while (stack.length > 0) {
    const [v, path, depth] = stack.pop()!;
    const t = typeof v;
    if (t === 'function' || t === 'symbol' || t === 'bigint') {
      problems.push(`${path || 'config'} must be JSON data (got a ${t})`);
      if (problems.length >= 20) return;
      continue;
    }
    if (t !== 'object' || v === null) continue;
    if (depth >= MAX_PATCH_DEPTH) {
      problems.push(`${path || 'config'} is nested more than ${MAX_PATCH_DEPTH} levels deep`);
      return;
    }
    const keys = Object.keys(v as object);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      stack.push([(v as Record<string, unknown>)[k], path ? `${path}.${k.slice(0, 64)}` : k.slice(0, 64), depth + 1]);
    }
  }
};

/**
 * Merge a partial update over `current` and validate the result. Returns the merged value, or
 * the full list of problems (and the caller changes nothing).
 */
export const mergeAndCheck = <T>(
  spec: ObjectSpec,
  current: T,
  patch: unknown,
  root = '',
): { ok: true; value: T } | { ok: false; problems: string[] } => {
  const problems: string[] = [];
  if (!isPlainObject(patch)) {
    problems.push(`${root || 'config'} must be an object (got ${describe(patch)})`);
    return { ok: false, problems };
  }
  // Before any recursive merge/clone: a deeply nested or non-data patch would otherwise throw a
  // raw RangeError / DataCloneError (found by test/unit/fuzz/config-fuzz.test.ts).
  checkPatchShape(patch, problems);
  if (problems.length) return { ok: false, problems };
  const merged = mergeDeep(current, patch);
  checkValue(spec, merged, root, problems);
  return problems.length ? { ok: false, problems: capProblems(problems) } : { ok: true, value: merged as T };
};

/**
 * A value given as text (a command-line flag or an environment variable) converted to the
 * spec's type: numbers parsed (`"1e3"` → 1000; blank or malformed → NaN, which the check then
 * reports), booleans from `true/false/1/0`. Values that are not strings pass through unchanged
 * (a JSON config file already has types). Validation stays with {@link checkValue}.
 */
export const fromText = (spec: Spec, raw: unknown): unknown => {
  if (typeof raw !== 'string') return raw;
  switch (spec.kind) {
    case 'number':
      return raw.trim() === '' ? Number.NaN : Number(raw);
    case 'boolean':
      return raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : raw;
    default:
      return raw;
  }
};

/**
 * Validate one option given as text or JSON under a display name (`--port`, `WORLDTICK_PORT`,
 * `config file: port`): converted with {@link fromText}, checked with {@link checkValue}; the
 * problem shows the raw value as given (`(got "70000")`). Returns the typed value, or undefined
 * after pushing the problem.
 */
export const checkOption = (spec: Spec, raw: unknown, name: string, problems: string[]): unknown => {
  const value = fromText(spec, raw);
  const before = problems.length;
  const shown = (): string => {
    const text = showValue(raw, 201); // never throws (a BigInt, a Symbol, an object whose toString is no function)
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  };
  checkValue(spec, value, name, problems, shown);
  return problems.length > before ? undefined : value;
};

/**
 * Options of a component (a pool, a server): `given` merged over `defaults` and checked against
 * `spec`; problems are named `root.field` (or just `field` without a root). Returns the merged
 * options or the problem list (capped) — the caller throws its own coded error.
 */
export const resolveOptions = <T>(
  spec: ObjectSpec,
  defaults: T,
  given: unknown,
  root = '',
): { ok: true; value: T } | { ok: false; problems: string[] } =>
  mergeAndCheck(spec, defaults, isPlainObject(given) ? dropUndefined(given) : given === undefined ? {} : given, root);

/** `{ a: undefined }` means "not given" for options objects (TypeScript's optional fields). */
const dropUndefined = (o: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o))
    if (v !== undefined) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
};
