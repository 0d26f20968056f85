/**
 * The player-stats example (examples/player-stats) over real WebSockets: a player's lifetime
 * `visits` and `distance`, kept in player data, survive a server restart on the same SQLite data
 * dir and come back as replicated fields when the same client token joins again; the service's
 * calls and batches are on /metrics.
 */
import { createHash } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/index.js';
import { loadPlayerData, startServer, type RunningServer } from '../../../src/index.js';
import { playerStats } from '../../../examples/player-stats/game.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const Ws = WebSocket as unknown as WebSocketCtor;
/** The durable id of hello token `walker-token` (docs/DURABILITY.md "Players and sessions"). */
const PLAYER_ID = `t:${createHash('sha256').update('walker-token').digest('hex').slice(0, 32)}`;
const data = tempDataDir('wt-player-stats-');
afterAll(() => data.remove());

const start = (): Promise<RunningServer> =>
  startServer(playerStats, {
    options: { dataDir: data.dir, host: '127.0.0.1', port: 0, adminPort: 0, logLevel: 'silent', statsIntervalSeconds: 0 },
  });

/** Join as `token`, wait for the own entity's replicated stats to satisfy `ok`; returns them and the client. */
const session = async (s: RunningServer, ok: (f: Record<string, number>) => boolean) => {
  const c = new WorldtickClient({ url: `ws://127.0.0.1:${s.port}`, WebSocket: Ws });
  await c.connect();
  const welcome = await c.join('1', 'walker', 'walker-token');
  const fields = (): Record<string, number> | undefined => c.view.entities.get(welcome.playerId)?.fields;
  await c.waitFor(() => {
    const f = fields();
    return f !== undefined && ok(f);
  }, 5000);
  return { c, fields: fields() ?? {}, fieldsNow: fields };
};

describe('player-stats example', () => {
  it('visits and distance survive a restart and come back to the same player', async () => {
    const a = await start();
    let walked = 0;
    try {
      const { c, fieldsNow } = await session(a, (f) => f.visits === 1);
      c.sendInput(1, 0); // walk east
      await c.waitFor(() => (fieldsNow()?.distance ?? 0) >= 3, 5000);
      walked = fieldsNow()?.distance ?? 0;
      c.close();
      // The disconnect parks the player: onPlayerLeft adds the distance walked to the stored value.
      const deadline = Date.now() + 5000;
      for (;;) {
        const stored = await loadPlayerData(a.world, PLAYER_ID, 'stats');
        if (stored?.status === 'ok' && (stored.value as { distance: number }).distance >= walked) break;
        if (Date.now() > deadline) throw new Error(`distance not stored: ${JSON.stringify(stored)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      // The runtime's service is counted on /metrics.
      const metrics = await (
        await fetch(`http://127.0.0.1:${a.adminPort}/metrics`, { headers: { authorization: `Bearer ${a.adminToken}` } })
      ).text();
      const value = (re: RegExp): number => Number(re.exec(metrics)?.[1] ?? Number.NaN);
      expect(value(/^worldtick_player_data_calls_total\{op="save"\} (\d+)$/m)).toBeGreaterThanOrEqual(2);
      expect(value(/^worldtick_player_data_batches_total (\d+)$/m)).toBeGreaterThanOrEqual(2);
    } finally {
      await a.stop();
    }
    const b = await start();
    try {
      const { c, fields } = await session(b, (f) => f.visits === 2);
      expect(fields.distance).toBeGreaterThanOrEqual(walked);
      c.close();
    } finally {
      await b.stop();
    }
  }, 30_000);
});
