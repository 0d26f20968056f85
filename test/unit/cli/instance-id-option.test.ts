/**
 * `--instance-id` names the instance in logs, metrics labels, redirects and Redis keys: an operator's
 * walkthrough found `--instance-id 'a b'` accepted. Letters, digits, '.', '_', ':' and '-' only.
 */
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../../src/cli/options.js';
import { optionProblems } from '../../helpers/option-problems.js';

describe('--instance-id', () => {
  it('accepts the ids operators use and a generated-looking one', () => {
    for (const id of ['a', 'inst-1', 'eu-west.game_7', 'host-123-a1b2c3', 'pod:4'])
      expect(parseOptions(['--instance-id', id], {}).instanceId).toBe(id);
    expect(parseOptions([], {}).instanceId).toBe('');
  });

  it('refuses whitespace, slashes, a leading punctuation mark, control characters and over 200 characters, naming the flag', () => {
    for (const id of ['a b', 'a/b', '-a', 'a\u0000', 'é', 'x'.repeat(201)]) {
      const problems = optionProblems(() => parseOptions(['--instance-id', id], {}));
      expect(problems.some((p) => p.startsWith('--instance-id'))).toBe(true);
    }
    const env = optionProblems(() => parseOptions([], { WORLDTICK_INSTANCE_ID: 'two words' }));
    expect(env.some((p) => p.startsWith('--instance-id'))).toBe(true);
  });
});
