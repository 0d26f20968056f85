/**
 * Each option's schema (src/config/schema.ts), derived from its row of the option table
 * (src/cli/option-specs.ts), and the check of one raw value against it.
 */
import { checkOption, type Spec } from '../config/schema.js';
import { OPTION_SPECS, type OptionSpec } from './option-specs.js';

/**
 * The schema (src/config/schema.ts) of one option: the CLI table is metadata (flag, env, doc);
 * every check and message comes from the one schema module.
 */
export const optionSchema = (spec: OptionSpec): Spec => {
  switch (spec.kind) {
    case 'int':
    case 'number':
      return { kind: 'number', default: spec.default as number, integer: spec.kind === 'int', min: spec.min, max: spec.max };
    case 'boolean':
      return { kind: 'boolean', default: spec.default as boolean };
    case 'enum':
      return { kind: 'enum', default: spec.default as string, values: spec.values ?? [] };
    case 'string':
      return { kind: 'string', default: spec.default as string };
  }
};

const SCHEMAS = new Map<string, Spec>(OPTION_SPECS.map((s) => [s.key, optionSchema(s)]));

/** The schema of the option `key` (a key of {@link OPTION_SPECS}). */
export const schemaOf = (key: string): Spec => SCHEMAS.get(key)!;

/** Check and coerce one raw value of an option; problems (named by `where`) are pushed, undefined returned. */
export const coerceOption = (spec: OptionSpec, raw: unknown, where: string, problems: string[]): unknown =>
  checkOption(schemaOf(spec.key), raw, where, problems);
