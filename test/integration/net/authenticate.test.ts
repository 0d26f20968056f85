/**
 * The game's `authenticate` hook (GameServerOptions.authenticate, src/net/hello-auth.ts) over real
 * sockets: a real uWS server on 127.0.0.1 port 0, raw WebSocket clients, a real SQLite store.
 * Tokens here are `<identity>.<version>`: two versions of one identity are the same player.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { playerIdOfIdentity } from '../../../src/net/durable-sessions.js';
import type { AuthRequest, AuthResult } from '../../../src/net/hello-auth.js';
import { openStore } from '../../../src/store/open-store.js';
import type { SessionRecord, Store } from '../../../src/store/types.js';
import { openRaw } from '../../fuzz-helpers/raw-ws.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { settle, startTestServer, type TestServer } from './harness.js';

const WELCOME = 16;
const SNAPSHOT = 17;

let ts: TestServer | null = null;
let store: Store | null = null;
afterEach(async () => {
  await ts?.stop();
  await store?.close();
  ts = null;
  store = null;
});

/** Accepts `<identity>.<anything>` (identity = the part before the dot); refuses anything else. */
const byPrefix = (req: AuthRequest): AuthResult => {
  const i = req.token.indexOf('.');
  return i > 0 ? { ok: true, identity: req.token.slice(0, i) } : { ok: false, reason: 'bad token' };
};

/** The real SQLite store, with every player and session id written noted (directly or in a write-behind batch). */
const spiedStore = async (): Promise<{ store: Store; players: string[]; sessions: string[] }> => {
  const real = await openStore({ dataDir: tempDataDir('wt-auth-').dir });
  store = real;
  const players: string[] = [];
  const sessions: string[] = [];
  const spy: Store = Object.create(real) as Store;
  spy.putPlayer = (r) => {
    players.push(r.id);
    return real.putPlayer(r);
  };
  spy.putSession = (r: SessionRecord) => {
    sessions.push(r.playerId);
    return real.putSession(r);
  };
  // Joins, parks and position saves are written in batches (src/net/durable-sessions.ts).
  spy.writeSessions = (ops) => {
    for (const o of ops)
      if (o.kind === 'player') players.push(o.id);
      else if (o.kind === 'session') sessions.push(o.record.playerId);
    return real.writeSessions(ops);
  };
  return { store: spy, players, sessions };
};

/** A promise the test settles by hand. */
const gate = <T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } => {
  let resolve!: (v: T) => void, reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
};

describe('authenticate hook', () => {
  it('one identity is one player across rotated tokens; a resume needs the same identity', async () => {
    const s = await spiedStore();
    const seen: AuthRequest[] = [];
    ts = await startTestServer({
      store: s.store,
      hooks: {
        authenticate: async (req) => {
          seen.push(req);
          return byPrefix(req);
        },
      },
    });
    const alice = await openRaw(ts.url);
    alice.send([1, 1, 'w1', 'alice', 'alice.v1', null]);
    const w1 = await alice.waitFor(WELCOME);
    expect(seen[0]).toMatchObject({ worldId: 'w1', name: 'alice', token: 'alice.v1', resumeToken: null });
    expect(seen[0]?.remoteAddress).toMatch(/127\.0\.0\.1|::1|0000:0000/);
    alice.ws.close();
    await alice.closed;
    await ts.idle();
    await settle(30);
    const id = playerIdOfIdentity('alice');
    const rec = await s.store.getPlayer(id);
    expect(rec, 'the player row is keyed by the identity').toBeDefined();
    expect(new Set(s.players), 'only the identity has a player row').toEqual(new Set([id]));

    // Another identity presenting alice's resume token: refused, a fresh player of its own.
    const mallory = await openRaw(ts.url);
    mallory.send([1, 1, 'w1', 'mallory', 'mallory.v1', w1[6]]);
    const mw = await mallory.waitFor(WELCOME);
    expect(mallory.errors()).toEqual(['RESUME_REFUSED']);
    expect(mw[9]).toBe(false);
    expect(mw[2]).not.toBe(w1[2]);
    expect(ts.server.stats().parked, 'alice is still parked').toBe(1);

    // Alice with a rotated token (same identity) resumes her player.
    const back = await openRaw(ts.url);
    back.send([1, 1, 'w1', 'alice', 'alice.v2', w1[6]]);
    const bw = await back.waitFor(WELCOME);
    expect(back.errors()).toEqual([]);
    expect(bw[9], 'resumed').toBe(true);
    expect(bw[2]).toBe(w1[2]);
    expect(seen.at(-1)?.resumeToken).toBe(w1[6]);
    back.ws.close();
    await back.closed;
    await ts.idle();
    await settle(30);

    // A hello without a resume token, with a third token: the same identity takes its parked player
    // over (one identity, one player per world: docs/PROTOCOL.md "Sessions"), at its saved position.
    const saved = await s.store.getPlayer(id);
    const again = await openRaw(ts.url);
    again.send([1, 1, 'w1', 'alice', 'alice.v3', null]);
    const aw = await again.waitFor(WELCOME);
    expect(aw[9], 'the parked player taken over').toBe(true);
    expect(aw[2]).toBe(w1[2]);
    expect(aw[6]).toBe(w1[6]);
    const P = ts.world.stores.Position;
    const eid = Number(aw[2]);
    expect(P.x[eid]).toBeCloseTo(Number(saved?.data.x), 3);
    expect(P.y[eid]).toBeCloseTo(Number(saved?.data.y), 3);
    expect(new Set(s.players)).toEqual(new Set([id, playerIdOfIdentity('mallory')]));
    expect(
      s.players.some((p) => p.startsWith('t:')),
      'no raw-token player rows',
    ).toBe(false);
    expect(ts.server.stats().auth).toMatchObject({ accepted: 4, refused: 0, failed: 0, timedOut: 0, pending: 0 });
    mallory.ws.close();
    again.ws.close();
  });

  it('a refusal is AUTH_REFUSED, close 4017, counted, and stores nothing', async () => {
    const s = await spiedStore();
    ts = await startTestServer({
      store: s.store,
      hooks: {
        authenticate: (req): AuthResult =>
          req.token === 'leak'
            ? { ok: false, reason: 'token leak is bad' }
            : req.token === 'long'
              ? { ok: false, reason: 'x'.repeat(65) }
              : byPrefix(req),
      },
    });
    const c = await openRaw(ts.url);
    c.send([1, 1, 'w1', 'eve', 'no-dot-here', null]);
    for (let seq = 1; seq <= 3; seq++) c.send([2, seq, 1, 0, 0]);
    expect(await c.closed).toBe(4017);
    const err = c.msgs.find((m) => m[0] === 20);
    expect(err?.[1]).toBe('AUTH_REFUSED');
    expect(err?.[2]).toBe('authentication refused: bad token');
    // A reason containing the token, or too long, is not sent.
    for (const token of ['leak', 'long']) {
      const d = await openRaw(ts.url);
      d.send([1, 1, 'w1', 'eve', token, null]);
      expect(await d.closed).toBe(4017);
      expect(d.msgs.find((m) => m[0] === 20)?.[2]).toBe('authentication refused');
    }
    await settle(30);
    const st = ts.server.stats();
    expect(st.auth.refused).toBe(3);
    expect(st.errorsByCode.AUTH_REFUSED).toBe(3);
    expect(st.closesByCode['4017']).toBe(3);
    expect(st.strikes).toBe(0);
    expect(st.joining + st.sessions).toBe(0);
    expect(s.players).toEqual([]);
    expect(s.sessions).toEqual([]);
  });

  it('a hook that throws, rejects, answers nonsense or never settles: UNAVAILABLE, 1013, counted; others untouched', async () => {
    const s = await spiedStore();
    ts = await startTestServer({
      store: s.store,
      net: { authTimeoutMs: 150 },
      hooks: {
        authenticate: (req) => {
          if (req.token === 'throw') throw new Error('auth service down');
          if (req.token === 'reject') return Promise.reject(new Error('auth service down'));
          if (req.token === 'hang') return new Promise<AuthResult>(() => {});
          if (req.token === 'nonsense') return { ok: true, identity: '' };
          return Promise.resolve(byPrefix(req));
        },
      },
    });
    const ok = await openRaw(ts.url);
    ok.send([1, 1, 'w1', 'ok', 'ok.1', null]);
    await ok.waitFor(WELCOME);
    for (const token of ['throw', 'reject', 'nonsense', 'hang', 'throw']) {
      const c = await openRaw(ts.url);
      c.send([1, 1, 'w1', 'x', token, null]);
      expect(await c.closed, token).toBe(1013);
      expect(c.errors(), token).toEqual(['UNAVAILABLE']);
    }
    const st = ts.server.stats();
    expect(st.auth).toMatchObject({ accepted: 1, failed: 4, timedOut: 1, pending: 0 });
    expect(st.closesByCode['1013']).toBe(5);
    expect(st.internalErrors).toBe(0);
    expect(new Set(s.players), 'only the accepted identity has a player row').toEqual(new Set([playerIdOfIdentity('ok')]));
    // The accepted session is untouched: it still answers.
    ok.send([3, 9]);
    await ok.waitFor(19, (m) => m[1] === 9);
    expect(ok.code()).toBe(0);
    expect(ok.errors()).toEqual([]);
    ok.ws.close();
  });

  it('messages sent while an async hook is pending are held and applied; a socket closed meanwhile creates nothing', async () => {
    const s = await spiedStore();
    const gates = new Map<string, ReturnType<typeof gate<AuthResult>>>();
    ts = await startTestServer({
      store: s.store,
      hooks: {
        authenticate: (req) => {
          const g = gate<AuthResult>();
          gates.set(req.token, g);
          return g.promise;
        },
      },
    });
    const c = await openRaw(ts.url);
    c.send([1, 1, 'w1', 'eager', 'eager.1', null]);
    for (let seq = 1; seq <= 5; seq++) c.send([2, seq, 1, 0, 0]);
    c.send([3, 42]); // a ping is answered at once, hook or not
    await c.waitFor(19, (m) => m[1] === 42);
    while (!gates.has('eager.1')) await settle(2);
    expect(ts.server.stats().auth.pending).toBe(1);
    gates.get('eager.1')?.resolve({ ok: true, identity: 'eager', cls: 'player' });
    await c.waitFor(WELCOME);
    ts.step(1); // applies the held input (the harness steps only for joins)
    await c.waitFor(SNAPSHOT, (m) => m[4] === 5);
    expect(c.errors()).toEqual([]);
    expect(c.code()).toBe(0);

    // Closed while the hook is pending: its later acceptance creates nothing.
    const gone = await openRaw(ts.url);
    gone.send([1, 1, 'w1', 'gone', 'gone.1', null]);
    while (!gates.has('gone.1')) await settle(2);
    gone.ws.terminate();
    await gone.closed;
    await settle(20);
    gates.get('gone.1')?.resolve({ ok: true, identity: 'gone' });
    await settle(50);
    const st = ts.server.stats();
    expect(st.auth).toMatchObject({ accepted: 1, abandoned: 1, pending: 0 });
    expect(st.joining).toBe(0);
    // (A live player's periodic position save may fall in this window: only `gone`'s rows are looked for.)
    expect(s.players.filter((p) => p === playerIdOfIdentity('gone'))).toEqual([]);
    expect(s.sessions.filter((p) => p === playerIdOfIdentity('gone'))).toEqual([]);
    c.ws.close();
  });

  it('the class comes from the hook; a redirected hello (ticket) is authenticated again on its target', async () => {
    const seen: AuthRequest[] = [];
    ts = await startTestServer({
      hooks: {
        // Stands in for the cluster's router: the ticket was checked, the hello is served here.
        routeHello: () => ({ kind: 'serve' }),
        authenticate: (req) => {
          seen.push(req);
          return { ok: true, identity: 'watcher', cls: 'spectator' };
        },
      },
    });
    const c = await openRaw(ts.url);
    c.send([1, 1, 'w1', 'watcher', 'w.1', null, 'v1.ticket.sig']);
    await c.waitFor(WELCOME);
    ts.step(1);
    await c.waitFor(SNAPSHOT);
    expect(seen.map((r) => r.token)).toEqual(['w.1']);
    expect(ts.server.stats().byClass.spectator?.sessions).toBe(1);
    c.ws.close();
  });

  it('without a hook nothing is counted and the token is the identity', async () => {
    ts = await startTestServer();
    const c = await openRaw(ts.url);
    c.send([1, 1, 'w1', 'plain', 'plain-token', null]);
    await c.waitFor(WELCOME);
    expect(ts.server.stats().auth).toEqual({ accepted: 0, refused: 0, failed: 0, timedOut: 0, abandoned: 0, pending: 0 });
    c.ws.close();
  });
});
