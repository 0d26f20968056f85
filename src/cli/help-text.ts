/** The `--help` text of the server, generated from the option table (src/cli/option-specs.ts). */
import { OPTION_SPECS } from './option-specs.js';

/** The `--help` text, generated from {@link OPTION_SPECS}. */
export const helpText = (): string => {
  const lines = [
    'worldtick — authoritative ECS game-server runtime',
    '',
    'Usage: npm start -- [options]',
    '',
    'Options (flag / environment variable, default):',
  ];
  for (const s of OPTION_SPECS) {
    const flag = `--${s.flag}${s.kind === 'boolean' ? '' : ` <${s.kind === 'enum' ? s.values!.join('|') : s.kind}>`}`;
    lines.push(`  ${flag}`);
    lines.push(`      ${s.doc}${s.env ? `  [${s.env}]` : ''}  (default: ${JSON.stringify(s.default)})`);
  }
  lines.push('', 'Precedence: flag > environment > config file > default.');
  return lines.join('\n');
};
