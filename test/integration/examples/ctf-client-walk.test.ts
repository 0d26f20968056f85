/**
 * examples/ctf/client-walk.ts, the walkthrough client, against `examples/ctf/main.ts` as a child
 * process on a SQLite data dir and a fixed port (2 s rounds, so round ends and rewards come often):
 * it joins and sees its own player, hears `round-ended` and its wallet; the server is stopped
 * (SIGTERM, close 1001) and started again: the client reconnects with backoff and resumes the same
 * session (same resume token, `resumed`, the wallet it had); the server is killed (SIGKILL): the
 * same again. A bad URL, an unknown world, a refused resume token and a kick end as a player expects.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, isWorldtickError, type WebSocketCtor } from '../../../src/client/index.js';
import { walk, type Walk } from '../../../examples/ctf/client-walk.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { type GameProcess, startGameProcess, waitFor } from '../../helpers/game-process.js';
import { freePort, serverPort } from '../../helpers/server-port.js';

const Ws = WebSocket as unknown as WebSocketCtor;
const TOKEN = 'ctf-client-walk-admin';

describe('examples/ctf/client-walk.ts against a real server', () => {
  const dir = tempDataDir('wt-ctf-walk-');
  const procs: GameProcess[] = [];
  const walks: Walk[] = [];
  afterAll(async () => {
    for (const w of walks) await w.stop();
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    dir.remove();
    if (process.env.WALK_DUMP) console.log(lines.join('\n'));
  });
  let port = 0;
  const start = async (): Promise<GameProcess> => {
    const p = await startGameProcess({
      main: 'examples/ctf/main.ts',
      args: ['--port', String(port), '--admin-port', '0', '--stats-interval', '0'],
      dataDir: join(dir.dir, 'data'),
      token: TOKEN,
      env: { CTF_ROUND_SECONDS: '2' },
    });
    procs.push(p);
    return p;
  };
  let server: GameProcess;
  beforeAll(async () => {
    port = await serverPort();
    server = await start();
  }, 60_000);
  const lines: string[] = [];
  const walker = (o: Partial<Parameters<typeof walk>[0]> & { name: string }): Walk => {
    const w = walk({ url: `ws://127.0.0.1:${port}`, WebSocket: Ws, backoffMs: { first: 50, max: 500 }, print: (l) => lines.push(l), ...o });
    walks.push(w);
    return w;
  };

  it('plays, and resumes the same player and wallet after a SIGTERM restart and a SIGKILL restart', async () => {
    const alice = walker({ name: 'alice' });
    const wallet = () => alice.client.wallet;
    const first = await alice.joined;
    expect(first.resumed).toBe(false);
    // Own entity in view, with the game's team field; the scoreboard and both flags too.
    await waitFor(() => (alice.client.view.entities.get(first.playerId)?.fields?.team ? true : undefined));
    await waitFor(() => (lines.some((l) => l.includes(`me #${first.playerId} (`)) ? true : undefined));
    // A round ends (server message) and pays a reward (wallet message above the starting coins).
    await waitFor(() => (alice.state.rounds.length > 0 && (wallet()?.coins ?? 0) > 1000 ? true : undefined));
    // A purchase through the ledger: its answer carries the balance, and `client.wallet` has it.
    const tx = await alice.client.purchase('walk-potion-1', 'potion', 1, 10);
    expect(tx.status).toBe('ok');
    expect(wallet()?.coins).toBe(tx.coins);
    expect(wallet()?.items.potion).toBe(1);
    const token = alice.state.resumeToken;
    expect(token).toBe(first.resumeToken);

    // SIGTERM: the server checkpoints and closes every socket 1001; the client reconnects with backoff.
    server.child.kill('SIGTERM');
    await once(server.child, 'exit');
    await waitFor(() => (alice.state.closes.length === 1 ? true : undefined));
    expect(alice.state.closes).toEqual([1001]);
    const coinsBefore = wallet()?.coins ?? 0;
    server = await start();
    await waitFor(() => (alice.state.welcomes.length === 2 ? true : undefined));
    const second = alice.state.welcomes[1];
    expect(second?.resumed).toBe(true);
    expect(second?.resumeToken).toBe(token);
    alice.client.wallet = null;
    await waitFor(() => wallet()?.coins ?? undefined);
    expect(wallet()?.coins).toBeGreaterThanOrEqual(coinsBefore);
    await waitFor(() => (second && alice.client.view.entities.has(second.playerId) ? true : undefined));

    // SIGKILL: no close frame (1006); the durable store still resumes the session.
    const coinsBeforeKill = wallet()?.coins ?? 0;
    server.child.kill('SIGKILL');
    await once(server.child, 'exit');
    await waitFor(() => (alice.state.closes.length === 2 ? true : undefined));
    expect(alice.state.closes[1]).toBe(1006);
    server = await start();
    await waitFor(() => (alice.state.welcomes.length === 3 ? true : undefined));
    const third = alice.state.welcomes[2];
    expect(third?.resumed).toBe(true);
    expect(third?.resumeToken).toBe(token);
    alice.client.wallet = null;
    await waitFor(() => wallet()?.coins ?? undefined);
    expect(wallet()?.coins).toBeGreaterThanOrEqual(coinsBeforeKill);
    expect(wallet()?.items.potion).toBe(1);
    // The same key after the crash: the original answer, charged once.
    const again = await alice.client.purchase('walk-potion-1', 'potion', 1, 10);
    expect(again.replayed).toBe(true);
    expect(wallet()?.items.potion).toBe(1);
    expect(alice.state.stopped).toBeNull();
    expect(alice.state.errors).toEqual([]);
    // The sprite table kept from onView changes alone matches the view after two resumes.
    expect([...alice.state.sprites.keys()].sort()).toEqual([...alice.client.view.entities.keys()].sort());
    expect(alice.state.sprites.size).toBe(4); // alice, two flags, the scoreboard

    // The game's client message: a pickup reaches the game (the flag's carrier becomes us) once near.
    const me = third?.playerId ?? 0;
    await waitFor(() => {
      for (const e of alice.client.view.entities.values()) if (e.fields?.carrier === me) return true;
      return alice.state.captures.length > 0 ? true : undefined;
    }, 60_000);

    // Kicked by the operator (4020): the client stops and does not reconnect.
    const pid = `t:${createHash('sha256').update('alice').digest('hex').slice(0, 32)}`;
    const res = await fetch(`${server.admin}/worlds/1/players/${pid}/kick`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'walkthrough' }),
    });
    expect(res.status).toBe(200);
    await alice.done;
    expect(alice.state.closes.at(-1)).toBe(4020);
    expect(alice.state.stopped).toBe('closed 4020 walkthrough');
    expect(alice.state.welcomes).toHaveLength(3);
  }, 120_000);

  it('a refused resume token joins as a new player and says so; an unknown world stops with its wire code', async () => {
    const bob = walker({ name: 'bob', resumeToken: 'not-a-real-token' });
    const w = await bob.joined;
    expect(w.resumed).toBe(false);
    expect(bob.state.errors).toEqual(['RESUME_REFUSED']);
    const nowhere = walker({ name: 'carol', worldId: 'nope' });
    const err = await nowhere.joined.catch((e: unknown) => e);
    expect(isWorldtickError(err, ErrorCode.CLIENT_JOIN_REFUSED)).toBe(true);
    await nowhere.done;
    expect(nowhere.state.closes).toEqual([]);
    expect(nowhere.state.stopped).toMatch(/^hello refused: UNKNOWN_WORLD/);
  }, 30_000);

  it('the same player joining from a second client takes the session over; the first stops (4011) instead of fighting for it', async () => {
    const tab1 = walker({ name: 'frank' });
    const w1 = await tab1.joined;
    const tab2 = walker({ name: 'frank' });
    const w2 = await tab2.joined;
    expect(w2.resumed).toBe(true);
    expect(w2.playerId).toBe(w1.playerId);
    await tab1.done;
    expect(tab1.state.closes).toEqual([4011]);
    expect(tab1.state.stopped).toMatch(/^closed 4011/);
    expect(tab1.state.welcomes).toHaveLength(1);
    expect(tab2.state.stopped).toBeNull();
    await waitFor(() => (tab2.state.sprites.has(w2.playerId) ? true : undefined));
    expect([...tab2.state.sprites.keys()].sort()).toEqual([...tab2.client.view.entities.keys()].sort());
  }, 30_000);

  it('a link that goes silent without closing is given up, reconnected and resumed (the same player)', async () => {
    const gina = walker({ name: 'gina', silenceTimeoutMs: 1000 });
    const w = await gina.joined;
    // The client stops reading: no close event will ever come from this socket.
    (gina.client.socket as unknown as WebSocket).pause();
    await waitFor(() => (gina.state.welcomes.length === 2 ? true : undefined), 15_000);
    expect(gina.state.closes).toEqual([1006]);
    expect(gina.state.welcomes[1]?.resumed).toBe(true);
    expect(gina.state.welcomes[1]?.playerId).toBe(w.playerId);
    expect(lines.some((l) => l.startsWith('closed 1006 no message for '))).toBe(true);
    expect(gina.state.errors).toEqual([]);
  }, 30_000);

  it('a server URL where nothing listens fails with a coded error after the backoff attempts', async () => {
    const dead = walker({ name: 'dave', url: `ws://127.0.0.1:${await freePort()}`, maxAttempts: 3, backoffMs: { first: 10, max: 20 } });
    const err = await dead.joined.catch((e: unknown) => e);
    expect(isWorldtickError(err, ErrorCode.CLIENT_CONNECT_FAILED)).toBe(true);
    expect((err as Error).message).toMatch(/could not connect to ws:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    expect(dead.state.stopped).toBe('gave up after 3 attempts');
    // Not a WebSocket URL at all: the same code, the implementation's reason.
    const typo = walker({ name: 'erin', url: 'http//127.0.0.1', maxAttempts: 1 });
    const bad = await typo.joined.catch((e: unknown) => e);
    expect(isWorldtickError(bad, ErrorCode.CLIENT_CONNECT_FAILED)).toBe(true);
    expect((bad as Error).message).toMatch(/^could not connect to http\/\/127\.0\.0\.1: .*Invalid URL/);
  });
});
