/**
 * A game whose `populate` throws does not start, and says why where a developer looks: one line on
 * stderr naming the game, the hook and the world (`WT_ERR_GAME_HOOK_FAILED`), exit 2, and a fatal
 * log line holding the game's own error with its stack (docs/GAME-API.md "Hooks"). Before, stderr
 * was empty, the exit code 1 and the log line `start failed` with the bare error, no code.
 */
import { describe, expect, it } from 'vitest';
import { tempDataDir } from '../../helpers/data-dir.js';
import { startToExit } from '../../helpers/refused-start.js';

describe("a game's throwing populate at start", () => {
  it('exits 2 naming the hook on stderr, the error and its stack in the log', async () => {
    const data = tempDataDir('wt-hook-failed-');
    try {
      const { code, err, lines } = await startToExit(data.dir, { main: 'test/helpers/hook-throwing-game-main.ts' });
      expect(code).toBe(2);
      expect(err).toContain("worldtick: game hook-throwing's populate hook threw for world 1: the spawn table is empty");
      const fatal = (lines as Array<{ level?: number; code?: string; err?: { cause?: { message?: string; stack?: string } } }>).find(
        (l) => l.level === 60,
      );
      expect(fatal?.code).toBe('WT_ERR_GAME_HOOK_FAILED');
      expect(fatal?.err?.cause?.message).toBe('the spawn table is empty');
      expect(fatal?.err?.cause?.stack).toContain('hook-throwing-game-main');
    } finally {
      data.remove();
    }
  }, 60_000);
});
