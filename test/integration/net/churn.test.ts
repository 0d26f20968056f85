/**
 * Churn: clients keep joining and leaving, each with a new hello `token` (no `authenticate` hook,
 * so every token is a new identity), some resuming with their resume token, some coming back
 * later under the same token. Real uWS server on 127.0.0.1 with a SQLite store and the ledger
 * (start grants), real WebSocket clients. Once everyone left and the grace ran out, every per-player
 * structure is back to its size before the churn: sessions, parked players, joins and resume
 * lookups in flight, the replication slot, the world's entities, the ledger's bindings, catch-ups,
 * start grants and cached balances, the pending ingest facts, the durable session records. The
 * players table keeps one row per identity (inherent without an authenticate hook: its growth
 * rate is what `net.maxNewPlayersPerAddressPerMinute` bounds, see new-player-limit.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { attachLedger, ledgerRetained, START_GRANT_KEY } from '../../../src/ledger/world-ledger.js';
import { playerIdOfToken } from '../../../src/net/durable-sessions.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { entityCount, type SimWorld } from '../../../src/world/sim-world.js';
import { openRaw, type RawWs } from '../../fuzz-helpers/raw-ws.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { settle, startTestServer, type TestServer } from './harness.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const WELCOME = 16;
const STARTING_COINS = 10;

/** Sizes of every per-player structure the churn must leave as it found them. */
const sizes = (ts: TestServer) => {
  const st = ts.server.stats();
  const world: SimWorld = ts.world;
  const l = world.ledger;
  const pending = Object.fromEntries(world.ingest.stats().map((t) => [t.type, t.pending]));
  return {
    connections: st.connections,
    sessions: st.sessions,
    parked: st.parked,
    joining: st.joining,
    pendingResumes: st.pendingResumes,
    limitedAddresses: st.limitedAddresses,
    newPlayerAddresses: st.newPlayerAddresses,
    byPlayer: world.net?.byPlayer.size ?? 0,
    netSessions: world.net?.sessions.length ?? 0,
    entities: entityCount(world),
    playerRows: world.stores.playerRows.rowOf.size,
    ledger: l ? ledgerRetained(l) : null,
    pending,
  };
};

/** Join with `token` (and `resume`): the socket and its welcome. */
const join = async (url: string, token: string, resume: string | null): Promise<{ c: RawWs; welcome: unknown[] }> => {
  const c = await openRaw(url);
  c.send([1, 1, 'w1', token.slice(0, 16), token, resume]);
  return { c, welcome: await c.waitFor(WELCOME) };
};

const leave = async (c: RawWs): Promise<void> => {
  c.ws.close(1000);
  await c.closed;
};

describe('churn: joins and leaves leave nothing behind', () => {
  it('300 clients with distinct tokens (some resuming, some returning) leave every per-player structure at its baseline', async () => {
    const dir = tempDataDir('wt-churn-');
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    // The grace is wall time (parking uses performance.now()), so it is sized for a loaded machine: with 1 s, a leave
    // and the hello that resumes it, 30 at a time, were once more than a second apart (a five-worker stress run).
    const ts = await startTestServer({ store, capacity: 400, net: { resumeGraceSeconds: 3 } });
    cleanup.push(() => ts.stop());
    attachLedger(ts.world, { store, startingCoins: STARTING_COINS, rateLimit: { perSecond: 0 } });
    // Catch-ups and ledger results are applied by steps: the test steps the world meanwhile.
    const stepper = setInterval(() => ts.step(1), 5);
    cleanup.push(() => clearInterval(stepper));

    // Warm-up: the first hello attaches the world (replication slot, ingest types); then the baseline.
    const warm = await join(ts.url, 'warm-up', null);
    await leave(warm.c);
    const drained = async (): Promise<void> => {
      for (let i = 0; i < 1500; i++) {
        const s = sizes(ts);
        if (s.connections === 0 && s.sessions === 0 && s.parked === 0 && s.joining === 0 && s.ledger?.startGrants === 0) break;
        await settle(10);
      }
      await ts.idle();
      await ts.world.ledger?.service.flush();
      await settle(30);
    };
    await drained();
    const baseline = sizes(ts);
    expect(baseline.ledger).toEqual({ eidOf: 0, playerOf: 0, catchingUp: 0, startGrants: 0, cachedBalances: 0 });

    const N = 300;
    const tokens: string[] = [];
    const resumeTokens: string[] = [];
    for (let b = 0; b < N; b += 30) {
      await Promise.all(
        Array.from({ length: 30 }, async (_, k) => {
          const i = b + k;
          const token = `churn-${i}`;
          tokens[i] = token;
          const first = await join(ts.url, token, null);
          const rt = String(first.welcome[6]);
          resumeTokens.push(rt);
          await leave(first.c);
          if (i % 3 === 0) {
            // Resumed within the grace: the same player, then gone again.
            const again = await join(ts.url, token, rt);
            expect(again.welcome[9], `resume of ${token}`).toBe(true);
            await leave(again.c);
          }
        }),
      );
    }
    // Some identities come back after their player expired: a fresh player of the same identity.
    await drained();
    for (let i = 0; i < N; i += 10) {
      const back = await join(ts.url, tokens[i] ?? '', null);
      resumeTokens.push(String(back.welcome[6]));
      await leave(back.c);
    }
    await drained();

    expect(sizes(ts)).toEqual(baseline);
    // The durable session records went with their players.
    for (const rt of resumeTokens) expect(await store.getSession(rt, 0), rt).toBeUndefined();
    // Every identity got its start grant exactly once, returning ones included.
    for (let i = 0; i < N; i += 10) {
      const id = playerIdOfToken(tokens[i] ?? '');
      expect((await store.ledgerBalance(id)).coins, id).toBe(STARTING_COINS);
      const grants = (await store.readLedger({ playerId: id, afterSeq: 0 })).filter((e) => e.key === START_GRANT_KEY);
      expect(grants, id).toHaveLength(1);
    }
    // Inherent: one player record per identity (bounded in rate, not in count).
    expect(await store.getPlayer(playerIdOfToken('churn-299'))).toBeDefined();
  });
});
