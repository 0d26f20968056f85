/**
 * The shape of a row of the option table (src/cli/option-specs.ts, src/cli/option-specs-cluster.ts).
 */
import type { ServerOptions } from './server-options.js';

/** Kind of an option's value (how it is coerced and shown in `--help`). */
export type OptionKind = 'int' | 'number' | 'string' | 'boolean' | 'enum';

/** One row of the option table (`OPTION_SPECS`, src/cli/option-specs.ts). The config-file-only blocks (scheduler, net, ...) have none. */
export interface OptionSpec {
  key: Exclude<keyof ServerOptions, 'scheduler' | 'net' | 'periodic' | 'ledger' | 'playerData' | 'physicsConfig'>;
  flag: string;
  env: string;
  kind: OptionKind;
  default: string | number | boolean;
  min?: number;
  max?: number;
  values?: readonly string[];
  doc: string;
}
