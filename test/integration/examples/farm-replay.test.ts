/**
 * examples/farm recorded and replayed as the docs tell a developer to (README "Record and replay"):
 * a world restored from its data dir records its input log (`record`) from the checkpoint; in the
 * recording a farmer buys, plants a crop left to the crows and harvests a guarded one; the server
 * stops and `npm run replay -- <log> --game examples/farm/game.ts#game` re-runs it without a store,
 * with the same FARM_* settings: every recorded state hash matches — the ledger's and player
 * data's answers are in the log as facts. (One replay run: each costs a tsx child process.)
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
  it('records a world restored from the data dir from its checkpoint: the replay restores it and every hash matches', async () => {
    const data = join(dataDir.dir, 'data2');
    const opts = { port: 0, adminPort: 0, logLevel: 'silent' as const, dataDir: data, timeScale: 600 };
    const before = await startServer(createFarmGame(SETTINGS), { options: opts });
    try {
      const p = new FarmPlayer(`ws://127.0.0.1:${before.port}`, 'fred', WS as never);
      await p.join();
      expect(await p.buy('f-1', 2)).toMatchObject({ status: 'ok', seeds: 2 });
      p.scarecrow(0, true);
      await p.client.waitFor(() => p.plots().get(0)?.scarecrow === 1);
      expect(await p.plant(0)).toBe('planted');
      p.close();
      await p.client.closed();
    } finally {
      await before.stop();
    }
    const logPath = join(dataDir.dir, 'restored.wtlog');
    const after = await startServer(createFarmGame(SETTINGS), { options: { ...opts, record: logPath, recordHashEvery: 10 } });
    try {
      const p = new FarmPlayer(`ws://127.0.0.1:${after.port}`, 'fred', WS as never);
      const farm = await p.join();
      expect(farm?.seeds).toBe(1);
      expect(await p.buy('f-2', 1)).toMatchObject({ status: 'ok', seeds: 2 });
      expect(await p.plant(1)).toBe('planted');
      if (farm?.plots[0] === 1) await p.next<RipeMsg>(OUT.ripe, 0, 10_000, (r) => r.plot === 0);
      expect(await p.harvest(0)).toMatchObject({ plot: 0, coins: HARVEST_COINS });
      p.close();
      await p.client.closed();
    } finally {
      await after.stop();
    }
    const out = await run('node', ['--import', 'tsx', 'src/replay/main.ts', logPath, '--quiet', '--game', 'examples/farm/game.ts#game'], {
      env: { ...process.env, ...ENV },
    });
    expect(out.stdout).toMatch(/^OK: \d+ steps replayed, (\d+)\/\1 hashes matched$/m);
  }, 60_000);
});
