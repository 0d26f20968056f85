/**
 * examples/market recorded and replayed end to end: a real server (SQLite store, `--record`),
 * real WebSocket buyers — purchases settled by the ledger, a refusal that gives the stock back, a
 * retried transaction id, a player leaving and coming back, a restock — then the server stops and
 * the input log is replayed without a store, in process and with `npm run replay -- <log> --game
 * examples/market/game.ts#game`: every recorded state hash matches. The ledger's answers are in
 * the log as `settle` facts (deliverToWorld) and the buyers' durable ids as bindings of their
 * joins, so the replay sells, reserves and gives back exactly what the live market did.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import WS from 'ws';
import { startServer } from '../../../src/index.js';
import { GAME_FACT_INGEST_TYPE } from '../../../src/game/fact-state.js';
import { SESSION_INGEST_TYPE } from '../../../src/net/player-facts.js';
import { readLog } from '../../../src/replay/log-format.js';
import { replayLog } from '../../../src/replay/replayer.js';
import { createMarketGame } from '../../../examples/market/game.js';
import { MarketPlayer } from '../../../examples/market/bot.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const run = promisify(execFile);
const dataDir = tempDataDir('wt-market-replay-');
afterAll(() => dataDir.remove());

/** The restock period of the recorded game: the replay builds the same game (MARKET_RESTOCK_SECONDS for the CLI). */
const RESTOCK = 1;

describe('examples/market record and replay', () => {
  it('replays a recorded market session without a store: every state hash matches (in process and npm run replay)', async () => {
    const game = createMarketGame({ restockSeconds: RESTOCK });
    const logPath = join(dataDir.dir, 'market.wtlog');
    const server = await startServer(game, {
      options: { port: 0, adminPort: 0, logLevel: 'silent', dataDir: join(dataDir.dir, 'data'), record: logPath, recordHashEvery: 10 },
    });
    const url = `ws://127.0.0.1:${server.port}`;
    try {
      const alice = new MarketPlayer(url, 'alice', WS as never);
      const bob = new MarketPlayer(url, 'bob', WS as never);
      await alice.join();
      await bob.join();
      await alice.seeMerchants(2);
      // The game's own catalogue and starting coins (defineGame), no config file.
      await alice.client.waitFor(() => alice.state.coins === 100);
      expect(await alice.buy(1, 'apple', 2, 'a-1')).toMatchObject({ status: 'ok', coins: 94 });
      expect(await bob.buy(2, 'lamp', 2, 'b-1')).toMatchObject({ status: 'ok', coins: 20 });
      // Refused by the ledger after the stock was reserved: the units come back (a world change the replay must make too).
      expect(await bob.buy(2, 'potion', 3, 'b-2')).toMatchObject({ status: 'rejected', code: 'TX_INSUFFICIENT_FUNDS' });
      // The same transaction id again: the ledger replays it, charged once.
      expect(await alice.buy(1, 'apple', 2, 'a-1')).toMatchObject({ status: 'ok', replayed: true });
      // Alice leaves and comes back (resume): her durable id is bound to her entity again.
      alice.close();
      await new Promise((r) => setTimeout(r, 300));
      await alice.join();
      const restocked = alice.state.restocks.length;
      expect(await alice.buy(1, 'bread', 1, 'a-2')).toMatchObject({ status: 'ok', coins: 89 });
      // A restock on world time, then one more sale. The one that refills the bread may come before the
      // receipt (the stock is reserved in the step, the receipt waits for the ledger's commit) and, the
      // stalls then being full, no other need come: read from alice's record of restocks since the purchase.
      const seen = (): boolean => alice.state.restocks.length > restocked;
      if (!seen()) await alice.client.waitFor(seen, 20_000);
      expect(await alice.buy(2, 'potion', 1, 'a-3')).toMatchObject({ status: 'ok', coins: 79 });
      alice.close();
      bob.close();
      // The facts are counted (admin /metrics): six ledger answers delivered and applied, none refused.
      const metrics = await (
        await fetch(`http://127.0.0.1:${server.adminPort}/metrics`, { headers: { authorization: `Bearer ${server.adminToken}` } })
      ).text();
      const count = (outcome: string): number =>
        Number(new RegExp(`^worldtick_game_facts_total\\{world="1",outcome="${outcome}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? -1);
      expect([count('delivered'), count('applied'), count('full'), count('invalid')]).toEqual([6, 6, 0, 0]);
      expect(metrics).toMatch(/^worldtick_game_facts_pending\{world="1",fact="settle"\} 0$/m);
      // Its timers too: the restock timer and the reservation one-shots ran; nothing over a limit.
      const timers = (outcome: string): number =>
        Number(new RegExp(`^worldtick_game_timers_total\\{world="1",outcome="${outcome}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? -1);
      expect(timers('fired')).toBeGreaterThan(0);
      expect(timers('refused')).toBe(0);
      expect(metrics).toMatch(/^worldtick_game_timers_pending\{world="1",measure="bytes"\} \d+$/m);
    } finally {
      await server.stop();
    }

    const log = readLog(logPath);
    expect(log.header.recipe.game).toBe('market');
    expect(log.header.recipe.gameVersion).toBe(game.version);
    expect(log.end).not.toBeNull();
    const facts = log.steps.flatMap((f) => f.facts);
    const settles = facts
      .filter(([t]) => t === GAME_FACT_INGEST_TYPE)
      .map(([, , p]) => (p as [string, { txid: string; status: string }])[1]);
    expect(settles.map((s) => `${s.txid}:${s.status}`)).toEqual(['a-1:ok', 'b-1:ok', 'b-2:rejected', 'a-1:ok', 'a-2:ok', 'a-3:ok']);
    const bound = facts.filter(([t, , p]) => t === SESSION_INGEST_TYPE && typeof (p as { pid?: unknown }).pid === 'string');
    expect(bound).toHaveLength(3); // alice, bob, alice again

    // The replay CLI, with the game module a studio would name, in a child process while the log is replayed here.
    const cliRun = run('node', ['--import', 'tsx', 'src/replay/main.ts', logPath, '--quiet', '--game', 'examples/market/game.ts#game'], {
      env: { ...process.env, MARKET_RESTOCK_SECONDS: String(RESTOCK) },
    });
    cliRun.catch(() => undefined); // awaited below (a failure before then is not an unhandled rejection)
    const res = await replayLog(log, undefined, { game });
    expect(res.failure).toBeNull();
    expect(res.faults).toEqual([]);
    expect(res.checks.length).toBeGreaterThan(5);
    expect(res.checks.every((c) => c.ok)).toBe(true);

    // Without the ledger's answers (the settle facts) the replay cannot sell what the live market sold.
    const stripped = structuredClone(log);
    for (const f of stripped.steps) f.facts = f.facts.filter(([t]) => t !== GAME_FACT_INGEST_TYPE);
    expect((await replayLog(stripped, undefined, { game })).failure).toMatch(/state hash/);

    const out = await cliRun;
    expect(out.stdout).toMatch(
      new RegExp(`^OK: ${log.steps.length} steps replayed, ${res.checks.length}/${res.checks.length} hashes matched$`, 'm'),
    );
  }, 60_000);
});
