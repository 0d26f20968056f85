/** The `--help` text of the server, generated from the option table (src/cli/option-specs.ts). */
import { OPTION_SPECS, type OptionSpec } from './option-specs.js';

/** What a game's command changes in the `--help` text (src/game/server.ts `gameHelpText`). */
export interface HelpTextOptions {
  /** First line (default: the runtime's name). */
  title?: string;
  /** The command line shown as usage, without `[options]` (default `npm start --`). */
  usage?: string;
  /** Defaults to show in place of the table's, by option key (a game's `world`, `startingCoins`...). */
  defaults?: Partial<Record<OptionSpec['key'], string | number | boolean>>;
}

/** The `--help` text, generated from {@link OPTION_SPECS}. */
export const helpText = (o: HelpTextOptions = {}): string => {
  const lines = [
    o.title ?? 'worldtick — authoritative ECS game-server runtime',
    '',
    `Usage: ${o.usage ?? 'npm start --'} [options]`,
    '',
    'Options (flag / environment variable, default):',
  ];
  for (const s of OPTION_SPECS) {
    const flag = `--${s.flag}${s.kind === 'boolean' ? '' : ` <${s.kind === 'enum' ? s.values!.join('|') : s.kind}>`}`;
    lines.push(`  ${flag}`);
    const def = o.defaults?.[s.key] ?? s.default;
    lines.push(`      ${s.doc}${s.env ? `  [${s.env}]` : ''}  (default: ${JSON.stringify(def)})`);
  }
  lines.push('', 'Precedence: flag > environment > config file > default.');
  return lines.join('\n');
};
