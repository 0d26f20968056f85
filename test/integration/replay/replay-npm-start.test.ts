/**
 * README's record/replay commands, as written: `npm start -- --record session.wtlog` (the life-sim
 * game's server: `runMain(lifeSimGame)`, here `startServer(lifeSimGame)`) then
 * `npm run replay -- session.wtlog` with no `--game`: the replay CLI takes the life-sim game for a
 * log that names it and reproduces every recorded hash (exit 0). Another game's log still needs
 * its `--game`. A damaged copy of the log (a step frame's facts not a list) is a bad log: exit 2
 * with `WT_ERR_REPLAY_LOG_INVALID` naming the frame, not a divergence (exit 1).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { unpackMultiple } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { arena as arenaGame } from '../../../examples/arena/game.js';
import { lifeSimGame } from '../../../examples/life-sim/game.js';
import { startServer, type GameDefinition } from '../../../src/index.js';
import { createLogPackr } from '../../../src/replay/log-format.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Run `game`'s server with `--record` for about `ms` wall ms and stop it; returns the log's path. */
const record = async (game: GameDefinition, ms: number): Promise<string> => {
  const file = join(mkdtempSync(join(tmpdir(), 'wt-rec-start-')), 'session.wtlog');
  const data = tempDataDir();
  const s = await startServer(game, {
    argv: ['--npcs', '200', '--record', file, '--record-hash-every', '5'],
    options: { port: 0, adminPort: 0, logLevel: 'silent', statsIntervalSeconds: 0, dataDir: data.dir },
  });
  await sleep(ms);
  await s.stop();
  data.remove();
  return file;
};

/** `npm run replay -- <args>`: exit code and stdout + stderr. */
const replay = async (args: string[]): Promise<{ code: number; out: string }> => {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'src/replay/main.ts', ...args], { cwd: ROOT });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
};

describe('npm run replay of an npm start recording', () => {
  it('replays a life-sim log without --game; another game still needs it', async () => {
    // The two recordings side by side, then the two replays side by side (independent processes and files).
    const [life, arena] = await Promise.all([record(lifeSimGame, 700), record(arenaGame, 300)]);
    // A damaged copy of the life-sim log (one step frame's facts not a list): a bad log, exit 2, not a divergence (exit 1).
    const frames: unknown[] = [];
    unpackMultiple(readFileSync(life), (v: unknown) => {
      frames.push(v);
    });
    const damaged = `${life}.damaged`;
    (frames[3] as { facts: unknown }).facts = { not: 'a list' };
    const packr = createLogPackr();
    writeFileSync(damaged, Buffer.concat(frames.map((f) => packr.pack(f))));
    const [r, a, d] = await Promise.all([replay([life, '--quiet']), replay([arena, '--quiet']), replay([damaged, '--quiet'])]);
    expect(d.code, d.out).toBe(2);
    expect(d.out).toMatch(/worldtick-replay: WT_ERR_REPLAY_LOG_INVALID: .*frame 3 is malformed: facts are malformed/);
    expect(r.out).toContain('of game life-sim');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/OK: \d+ steps replayed, (\d+)\/\1 hashes matched/);

    expect(a.code, a.out).toBe(2);
    expect(a.out).toContain('--game');
  });
});
