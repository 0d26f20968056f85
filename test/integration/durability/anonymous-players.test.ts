/**
 * Anonymous players leave no player records behind (docs/DURABILITY.md "Anonymous players"), through
 * a real server on SQLite and on a real PostgreSQL: anonymous clients (empty and class-only tokens)
 * join, buy and leave; a named one too; one anonymous client stays connected to the shutdown. The
 * server restarts an hour later on its wall clock (`epochNow`, moved by the test): the parked
 * anonymous players' grace is long over, and the restarted server's first sweep deletes their
 * `players` rows (counted in /metrics) while their ledger entries stay (the admin ledger route still
 * answers them, verify is clean); the named player keeps its record, the one live at shutdown
 * resumes within its grace with its wallet, and a pruned player's resume token joins a fresh player.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { WorldtickClient } from '../../../src/client/client.js';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import type { WalletMsg } from '../../../src/net/protocol.js';
import { createRuntime, type Runtime } from '../../../src/server/runtime.js';
import { SQLITE_FILE_NAME } from '../../../src/store/sqlite-store.js';
import { runtimeClient } from '../../helpers/runtime-client.js';
import { freshDatabase, withPgClient } from '../../helpers/shared-postgres.js';

const dir = mkdtempSync(join(tmpdir(), 'wt-anon-'));
const config = join(dir, 'config.json');
writeFileSync(config, JSON.stringify({ net: { resumeGraceSeconds: 60 } }));
const pg = await freshDatabase();
if ('skip' in pg) console.warn(`[anonymous players] PostgreSQL skipped: ${pg.skip}`);
afterAll(async () => {
  if (!('skip' in pg)) await pg.destroy();
  rmSync(dir, { recursive: true, force: true });
});

type Rows = (sql: string) => Promise<Array<Record<string, unknown>>>;
const sqliteRows =
  (dataDir: string): Rows =>
  async (sql) => {
    const db = new Database(join(dataDir, SQLITE_FILE_NAME), { readonly: true });
    try {
      return db.prepare(sql).all() as Array<Record<string, unknown>>;
    } finally {
      db.close();
    }
  };
const pgRows =
  (url: string): Rows =>
  (sql) =>
    withPgClient(url, async (c) => (await c.query(sql)).rows as Array<Record<string, unknown>>);

const backends: Array<{ name: string; store: (() => string[]) | null; rows: () => Rows }> = [
  { name: 'sqlite', store: () => ['--data-dir', join(dir, 'data')], rows: () => sqliteRows(join(dir, 'data')) },
  {
    name: 'postgres',
    store: 'skip' in pg ? null : () => ['--store', (pg as { url: string }).url],
    rows: () => pgRows((pg as { url: string }).url),
  },
];

for (const b of backends)
  describe.skipIf(!b.store)(`anonymous players over a restart: ${b.name}`, () => {
    it('past the grace their player records go, their ledger stays; named and live players are untouched', async () => {
      let wall = Date.now();
      const clock = (): number => wall;
      const boot = async (): Promise<Runtime> => {
        const args = ['--config', config, '--port', '0', '--admin-port', '0', '--admin-token', 'rt', '--npcs', '10'];
        const rt = createRuntime(
          parseOptions([...args, '--stats-interval', '0', '--starting-coins', '100', ...(b.store?.() ?? [])], {}),
          createLogger('silent'),
          undefined,
          {},
          { epochNow: clock },
        );
        await rt.start();
        return rt;
      };
      const joinWithWallet = async (c: WorldtickClient, token: string, resume: string | null = null) => {
        const wallet = c.waitFor((m) => m.type === 22 && m.coins > 0, 5000);
        const w = await c.join('1', 'p', token, resume);
        return { token: w.resumeToken, resumed: w.resumed, wallet: (await wallet) as WalletMsg };
      };

      let rt = await boot();
      const tokens: string[] = [];
      let stayer: { c: WorldtickClient; token: string };
      try {
        for (let i = 0; i < 6; i++) {
          const c = await runtimeClient(rt);
          const j = await joinWithWallet(c, i % 2 ? 'bot' : '');
          expect(await c.purchase(`anon-buy-${i}`, 'arrow', 2, 1)).toMatchObject({ status: 'ok', coins: 98 });
          tokens.push(j.token);
          c.close(); // parked for its grace (60 s)
        }
        const alice = await runtimeClient(rt);
        await joinWithWallet(alice, 'alice-token');
        expect(await alice.purchase('alice-buy', 'arrow', 1, 1)).toMatchObject({ status: 'ok' });
        alice.close();
        const c = await runtimeClient(rt);
        const j = await joinWithWallet(c, '');
        expect(await c.purchase('stayer-buy', 'arrow', 3, 1)).toMatchObject({ status: 'ok', coins: 97 });
        stayer = { c, token: j.token };
      } finally {
        await rt.stop(); // the stayer is live at shutdown: resumable for the grace after the next start
      }
      const rows = b.rows();
      const playerOf = async (key: string): Promise<string> =>
        String((await rows(`SELECT player_id FROM ledger WHERE idem_key = '${key}'`))[0]?.player_id);
      const anon = await Promise.all(tokens.map((_, i) => playerOf(`anon-buy-${i}`)));
      const alice = await playerOf('alice-buy');
      const stayerId = await playerOf('stayer-buy');
      expect(anon.every((id) => id.startsWith('g:'))).toBe(true);
      const players = async (): Promise<string[]> => (await rows('SELECT id FROM players')).map((r) => String(r.id));
      expect(await players()).toEqual(expect.arrayContaining([...anon, alice, stayerId]));

      wall += 3_600_000; // an hour later: past the grace (60 s) and the idle time (10 min)
      rt = await boot();
      const admin = (path: string): Promise<Response> =>
        fetch(`http://127.0.0.1:${rt.admin.port}${path}`, { headers: { authorization: 'Bearer rt' } });
      try {
        // The first sweep after the start prunes (then about once a minute).
        let metrics = '';
        for (let i = 0; i < 100 && !metrics.includes('worldtick_net_anonymous_players_pruned_total 6'); i++) {
          metrics = await (await admin('/metrics')).text();
          if (!metrics.includes('worldtick_net_anonymous_players_pruned_total 6')) await new Promise((r) => setTimeout(r, 100));
        }
        expect(metrics).toContain('worldtick_net_anonymous_players_pruned_total 6');
        const now = await players();
        for (const id of anon) expect(now).not.toContain(id);
        expect(now).toEqual(expect.arrayContaining([alice, stayerId]));
        expect(await rows("SELECT token FROM sessions WHERE player_id LIKE 'g:%'")).toHaveLength(1); // the stayer's

        // The ledger keeps them: an auditor still reads a pruned player's entries and balance.
        const led = (await (await admin(`/api/v1/worlds/1/ledger/players/${encodeURIComponent(anon[0] ?? '')}`)).json()) as {
          balance: { coins: number };
          entries: Array<{ key: string }>;
        };
        expect(led.balance.coins).toBe(98);
        expect(led.entries.map((e) => e.key).sort()).toEqual(['anon-buy-0', 'start-grant']);

        // The stayer resumes within its grace, its wallet from the ledger; a pruned token is a fresh player.
        const back = await runtimeClient(rt);
        const r = await joinWithWallet(back, '', stayer.token);
        expect(r).toMatchObject({ resumed: true, token: stayer.token, wallet: { coins: 97, items: { arrow: 3 } } });
        const lost = await runtimeClient(rt);
        const refused = lost.waitFor((m) => m.type === 20 && m.code === 'RESUME_REFUSED');
        const fresh = await joinWithWallet(lost, '', tokens[0]);
        expect((await refused).type).toBe(20);
        expect(fresh).toMatchObject({ resumed: false, wallet: { coins: 100 } });

        const verify = (await (await admin('/api/v1/ledger/verify')).json()) as { ok: boolean; mismatches: unknown[] };
        expect(verify).toMatchObject({ ok: true, mismatches: [] });
        back.close();
        lost.close();
      } finally {
        await rt.stop();
      }
      // Two entries each (start grant, purchase) for the six pruned players, all still there.
      const kept = await rows(`SELECT count(*) AS n FROM ledger WHERE player_id IN (${anon.map((id) => `'${id}'`).join(', ')})`);
      expect(Number(kept[0]?.n)).toBe(12);
      expect(await rows(`SELECT player_id FROM player_data WHERE player_id LIKE 'g:%'`)).toEqual([]);
    });
  });
