/**
 * examples/farm's crows and daily bonus over real WebSockets: crows (game NPCs with their own
 * system) fly to a crop no scarecrow guards and eat it — the owner is told and the plot is cleared
 * in its player data, so the next session's farm has it empty — while the guarded crop ripens and is harvested;
 * the `daily` world timer grants each present farmer its bonus once per world day.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WS from 'ws';
import { loadPlayerData, type RunningServer, startServer } from '../../../src/index.js';
import { FarmPlayer } from '../../../examples/farm/client.js';
import { FARM_KEY, readFarm } from '../../../examples/farm/farm-data.js';
import { createFarmGame } from '../../../examples/farm/game.js';
import { DAILY_COINS, type EatenMsg, HARVEST_COINS, OUT, type RipeMsg, SEED, STARTING_COINS } from '../../../examples/farm/rules.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const dataDir = tempDataDir('wt-farm-crows-');
const pidOf = (token: string): string => `t:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;
let server: RunningServer;
let url = '';

beforeAll(async () => {
  // Crows see the whole 120-unit world and fly fast; a crop ripens in 2 wall seconds; a day is 1.
  const game = createFarmGame({ growSeconds: 120, daySeconds: 60, crows: 2, crowSight: 500, crowSpeed: 60 });
  server = await startServer(game, { options: { port: 0, adminPort: 0, logLevel: 'silent', dataDir: dataDir.dir, timeScale: 60 } });
  url = `ws://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.stop();
  dataDir.remove();
});

describe('examples/farm: crows and the daily bonus', () => {
  it('crows eat the unguarded crop, the guarded one is harvested, a daily bonus arrives', async () => {
    const p = new FarmPlayer(url, 'bob', WS as never);
    await p.join();
    expect(await p.buy('s-1', 2)).toMatchObject({ status: 'ok', seeds: 2 });
    p.scarecrow(1, true);
    await p.client.waitFor(() => p.plots().get(1)?.scarecrow === 1);
    const from = p.log.length;
    expect(await p.plant(1)).toBe('planted');
    expect(await p.plant(0)).toBe('planted');

    const eaten = await p.next<EatenMsg>(OUT.eaten, from, 10_000);
    expect(eaten.plot).toBe(0);
    await p.client.waitFor(() => p.plots().get(0)?.state === 0);

    await p.next<RipeMsg>(OUT.ripe, from, 10_000, (r) => r.plot === 1);
    expect(await p.harvest(1)).toMatchObject({ plot: 1, coins: HARVEST_COINS });
    expect(p.eaten().every((e) => e.plot === 0)).toBe(true);

    // The daily bonus: at least one world day passed while the crops grew.
    const day = await p.next<{ day: number; coins: number }>(OUT.daily, 0, 5000);
    expect(day.coins).toBe(DAILY_COINS);
    const days = () => p.log.filter((m) => m.name === OUT.daily).length;
    await p.client.waitFor(() => p.coins === STARTING_COINS - 2 * SEED.price + HARVEST_COINS + days() * DAILY_COINS);

    // The eaten plot is empty in the player data too (what the next session's farm is built from).
    p.close();
    await p.client.closed();
    const data = await loadPlayerData(server.world, pidOf(p.token), FARM_KEY);
    expect(data.status).toBe('ok');
    const farm = readFarm(data.status === 'ok' ? data.value : undefined);
    expect(farm.plots[0]).toBeNull();
    expect(farm.seeds).toBe(0);
  });
});
