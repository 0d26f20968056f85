/**
 * examples/farm recorded and replayed as the docs tell a developer to (README "Record and replay"):
 * a real server records its input log (`record`), a farmer buys, plants (one crop guarded, one
 * left to the crows), harvests; the server stops and `npm run replay -- <log> --game
 * examples/farm/game.ts#game` re-runs it without a store, with the same FARM_* settings: every
 * recorded state hash matches — the ledger's and player data's answers are in the log as facts.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import WS from 'ws';
import { startServer } from '../../../src/index.js';
import { FarmPlayer } from '../../../examples/farm/client.js';
import { createFarmGame, type FarmSettings } from '../../../examples/farm/game.js';
import { HARVEST_COINS, OUT, type RipeMsg } from '../../../examples/farm/rules.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const run = promisify(execFile);
const dataDir = tempDataDir('wt-farm-replay-');
afterAll(() => dataDir.remove());

const SETTINGS: FarmSettings = { growSeconds: 300, daySeconds: 600, crows: 2, crowSight: 500, crowSpeed: 60 };
const ENV = {
  FARM_GROW_SECONDS: String(SETTINGS.growSeconds),
  FARM_DAY_SECONDS: String(SETTINGS.daySeconds),
  FARM_CROWS: String(SETTINGS.crows),
  FARM_CROW_SIGHT: String(SETTINGS.crowSight),
  FARM_CROW_SPEED: String(SETTINGS.crowSpeed),
};

describe('examples/farm record and replay', () => {
  it('replays a recorded farm session without a store: every state hash matches', async () => {
    const logPath = join(dataDir.dir, 'farm.wtlog');
    const server = await startServer(createFarmGame(SETTINGS), {
      options: {
        port: 0,
        adminPort: 0,
        logLevel: 'silent',
        dataDir: join(dataDir.dir, 'data'),
        timeScale: 600,
        record: logPath,
        recordHashEvery: 10,
      },
    });
    try {
      const p = new FarmPlayer(`ws://127.0.0.1:${server.port}`, 'erin', WS as never);
      await p.join();
      expect(await p.buy('r-1', 2)).toMatchObject({ status: 'ok', seeds: 2 });
      p.scarecrow(1, true);
      await p.client.waitFor(() => p.plots().get(1)?.scarecrow === 1);
      const from = p.log.length;
      expect(await p.plant(1)).toBe('planted');
      expect(await p.plant(0)).toBe('planted');
      await p.next<RipeMsg>(OUT.ripe, from, 10_000, (r) => r.plot === 1);
      expect(await p.harvest(1)).toMatchObject({ plot: 1, coins: HARVEST_COINS });
      p.close();
      await p.client.closed();
    } finally {
      await server.stop();
    }
    const out = await run('node', ['--import', 'tsx', 'src/replay/main.ts', logPath, '--quiet', '--game', 'examples/farm/game.ts#game'], {
      env: { ...process.env, ...ENV },
    });
    expect(out.stdout).toMatch(/^OK: \d+ steps replayed, (\d+)\/\1 hashes matched$/m);
  }, 60_000);
});
