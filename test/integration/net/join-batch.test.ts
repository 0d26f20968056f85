/**
 * Joins are group-committed: the session records (and new players' records) of every hello of one
 * event-loop turn are written in the write-behind batch of that turn (src/net/durable-sessions.ts),
 * one store transaction, and each welcome waits for that commit. Before, each hello wrote its
 * records itself, one or two synchronous fsync'd SQLite transactions on the event loop per hello
 * (a hello flood from one loopback client held the loop: /healthz median 52 ms, up to 1.1 s).
 * Real uWS server on 127.0.0.1, raw WebSocket clients, a real SQLite store; the store failure is a
 * second connection holding SQLite's write lock (as another process would).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { playerIdOfToken } from '../../../src/net/durable-sessions.js';
import { SQLITE_FILE_NAME, SqliteStore } from '../../../src/store/sqlite-store.js';
import type { SessionWrite, Store } from '../../../src/store/types.js';
import { openRaw, type RawWs } from '../../fuzz-helpers/raw-ws.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { settle, startTestServer, type TestServer } from './harness.js';

const WELCOME = 16;
const N = 16;

let ts: TestServer | null = null;
let store: Store | null = null;
afterEach(async () => {
  await ts?.stop();
  await store?.close();
  ts = null;
  store = null;
});

/** The server's periodic writes, none of them a join's: the sweep's prunes and the world's checkpoints. */
const PERIODIC = ['pruneSessions', 'pruneAnonymousPlayers', 'pruneLedgerRefusals', 'saveCheckpoint'] as const;

/** The real store, with each `writeSessions` batch and each periodic transaction ({@link PERIODIC}) noted. */
const spied = (real: Store): { store: Store; batches: SessionWrite[][]; prunes: () => number } => {
  const batches: SessionWrite[][] = [];
  let prunes = 0;
  const spy: Store = Object.create(real) as Store;
  spy.writeSessions = (ops) => {
    batches.push([...ops]);
    return real.writeSessions(ops);
  };
  for (const name of PERIODIC) {
    const fn = real[name] as (...args: unknown[]) => Promise<unknown>;
    (spy as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      prunes++;
      return fn.apply(real, args);
    };
  }
  return { store: spy, batches, prunes: () => prunes };
};

/**
 * Send one hello on each socket in one synchronous run, then hold this process's event loop a
 * moment so every frame is in the server's socket buffers when the loop polls next: the server
 * reads them all in one turn (server and clients share this process).
 */
const helloAll = (clients: RawWs[], tokenOf: (i: number) => string): void => {
  for (const [i, c] of clients.entries()) c.send([1, 1, 'w1', `p${i}`, tokenOf(i), null]);
  const until = Date.now() + 40;
  while (Date.now() < until) {
    /* hold the loop */
  }
};

const isJoin = (op: SessionWrite): boolean => op.kind === 'session' && op.record.data.live === true;

describe('joins are group-committed', () => {
  it('N hellos arriving in one turn are written in at most 2 store transactions, each welcome after its commit', async () => {
    const real = new SqliteStore({ dataDir: tempDataDir('wt-join-batch-').dir });
    store = real;
    const s = spied(real);
    ts = await startTestServer({ store: s.store });
    const clients = await Promise.all(Array.from({ length: N }, () => openRaw(ts!.url)));
    await settle(30);
    const before = real.stats().transactions;
    const batchesBefore = s.batches.length;
    const prunesBefore = s.prunes();
    // Half with a hello token (a new player record each), half without (a generated player id).
    helloAll(clients, (i) => (i % 2 ? `batch-token-${i}` : ''));
    const welcomes = await Promise.all(clients.map((c) => c.waitFor(WELCOME)));
    const window = s.batches.slice(batchesBefore);
    const joinBatches = window.filter((b) => b.some(isJoin));
    // Transactions of the sweep in the window (a periodic position save, the prunes, a checkpoint): not the joins'.
    const others = window.length - joinBatches.length + (s.prunes() - prunesBefore);
    expect(real.stats().transactions - before - others, 'transactions of the joins (2 per hello before)').toBeLessThanOrEqual(2);
    expect(joinBatches.length).toBeLessThanOrEqual(2);
    // Every welcome's token was committed (with its new player's record) when the welcome arrived.
    const written = joinBatches.flat();
    for (const [i, w] of welcomes.entries()) {
      const token = String(w[6]);
      expect(written.some((op) => op.kind === 'session' && op.record.token === token)).toBe(true);
      expect((await real.getSession(token, 0))?.data).toMatchObject({ live: true, name: `p${i}` });
      if (i % 2) expect(await real.getPlayer(playerIdOfToken(`batch-token-${i}`))).toBeDefined();
    }
    expect(ts.server.stats().internalErrors).toBe(0);
  });

  it('hellos whose sockets close while their commit is pending: no session, no record left', async () => {
    const real = new SqliteStore({ dataDir: tempDataDir('wt-join-gone-').dir });
    store = real;
    // The commit is held (as a slow PostgreSQL commit would be) while the clients hang up.
    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const held: string[] = [];
    const spy: Store = Object.create(real) as Store;
    spy.writeSessions = async (ops) => {
      for (const o of ops) if (isJoin(o) && o.kind === 'session') held.push(o.record.token);
      await gate;
      return real.writeSessions(ops);
    };
    ts = await startTestServer({ store: spy });
    const clients = await Promise.all(Array.from({ length: 6 }, () => openRaw(ts!.url)));
    helloAll(clients, (i) => (i % 2 ? `gone-token-${i}` : ''));
    while (held.length < clients.length) await settle(2);
    for (const c of clients) c.ws.terminate();
    await Promise.all(clients.map((c) => c.closed));
    await settle(20);
    open();
    await settle(50);
    await ts.idle();
    const st = ts.server.stats();
    expect(st.sessions + st.joining + st.pendingResumes).toBe(0);
    expect(st.internalErrors).toBe(0);
    for (const t of held) expect(await real.getSession(t, 0), 'dropped after its commit').toBeUndefined();
  });

  it('a failed commit answers every hello waiting for it UNAVAILABLE (closed 1013), counted; nothing joined', async () => {
    const dir = tempDataDir('wt-join-fail-').dir;
    const real = new SqliteStore({ dataDir: dir, busyTimeoutMs: 50 });
    store = real;
    ts = await startTestServer({ store: real });
    const clients = await Promise.all(Array.from({ length: N }, () => openRaw(ts!.url)));
    await settle(30);
    // Another connection holds the write lock: the batch's transaction fails SQLITE_BUSY after 50 ms.
    const other = new Database(join(dir, SQLITE_FILE_NAME));
    other.prepare('BEGIN IMMEDIATE').run();
    try {
      helloAll(clients, () => '');
      const codes = await Promise.all(clients.map((c) => c.closed));
      expect(codes).toEqual(new Array(N).fill(1013));
      for (const c of clients) {
        expect(c.errors()).toEqual(['UNAVAILABLE']);
        expect(c.msgs.some((m) => m[0] === WELCOME)).toBe(false);
      }
    } finally {
      other.prepare('ROLLBACK').run();
      other.close();
    }
    const st = ts.server.stats();
    expect(st.errorsByCode.UNAVAILABLE).toBe(N);
    expect(st.sessions).toBe(0);
    expect(st.internalErrors).toBe(0);
    // The store is back: a hello joins.
    const again = await openRaw(ts.url);
    again.send([1, 1, 'w1', 'again', '', null]);
    const w = await again.waitFor(WELCOME);
    expect(await real.getSession(String(w[6]), 0)).toBeDefined();
  });
});
