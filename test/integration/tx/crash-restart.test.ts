/**
 * Crash test (issue 10): a real server (`src/cli/main.ts`) in a child process, under purchase load
 * from real WebSocket clients, is killed with SIGKILL 10 times at random moments and restarted on
 * the same data directory. Clients reconnect with their resume token and retry every purchase not
 * yet acknowledged with the SAME key. Afterwards:
 *   - every purchase a client saw acknowledged `ok` is in the ledger exactly once, with the seq
 *     the client was told, and live wallets equal the ledger (so it was applied exactly once);
 *   - gameplay rewards (interaction chains granting coins and arrows) likewise: each chain reward
 *     key is in the ledger once and is counted in the live wallet;
 *   - the verification route reports 0 mismatches.
 * Each restart's process is started ahead (test/helpers/warm-main.ts: `npm start`'s program, which
 * loads its modules and waits for a go on stdin): it loads while the one before it is under load,
 * and is told to go only after that one was killed and has exited.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { createPrng, nextRange } from '../../../src/core/prng.js';
import { playerIdOfToken } from '../../../src/net/durable-sessions.js';
import type { LedgerEntry } from '../../../src/store/types.js';
import { childNodeArgs } from '../../helpers/child-node.js';

const KILLS = 10;
const CLIENTS = 6;
const TOKEN = 'crash-admin-token';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A server process started ahead of its turn: it waits for a go on stdin (test/helpers/warm-main.ts). */
interface Launched {
  c: ChildProcess;
  ready: { port: number; adminPort: number } | null;
  err: string;
}

/**
 * The server process of the moment and the next one, loaded and waiting. A test that timed out keeps
 * running in the background (vitest does not stop it): afterAll kills both and no new one is started.
 */
const servers = { current: null as ChildProcess | null, spare: null as Launched | null, closed: false };
afterAll(() => {
  servers.closed = true;
  for (const c of [servers.current, servers.spare?.c]) if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

interface ClientState {
  token: string;
  resume: string | null;
  /** Acknowledged ok: key → seq told to the client. */
  acked: Map<string, number>;
  pending: string | null;
  next: number;
  resumed: number;
  refused: number;
  lastCoins: number | null;
}

// Ten restarts of a server process, each waited for and then loaded until 20 more purchases are
// acknowledged: ~60 s on a quiet 2-core machine, but a restart cycle took 10-18 s (not 4-8) with the
// host's load average at 16-22, and 120 s ran out (at the 7th kill in one of those runs).
it('SIGKILL ×10 under purchase load: every acknowledged purchase and gameplay reward applied exactly once, 0 mismatches', {
  timeout: 300_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-crash-rt-'));
  const seed = (Date.now() & 0xffff) >>> 0;
  const rng = createPrng(seed);
  // Each (re)start listens on ports of its own (0: the OS picks) and says which in its "server ready"
  // line; clients and admin calls use the current ones. The same ports bound again after each SIGKILL
  // could be taken meanwhile by any other process's socket (the suite runs files side by side), and
  // the restarted server would exit at once while the test waited for it until its timeout.
  let port = 0;
  let adminPort = 0;
  const config = join(dir, 'config.json');
  // No purchase rate limit (load), generous message rate; resume grace counted from each restart.
  writeFileSync(
    config,
    JSON.stringify({
      ledger: { rateLimit: { perSecond: 0 } },
      net: { messageRatePerSecond: 2000, messageBurst: 2000, resumeGraceSeconds: 30 },
    }),
  );
  const args = [
    ...(await childNodeArgs('test/helpers/warm-main.ts')),
    '--config',
    config,
    '--port',
    '0',
    '--admin-port',
    '0',
    '--admin-token',
    TOKEN,
    '--data-dir',
    join(dir, 'data'),
    '--npcs',
    '400',
    '--world-size',
    '150',
    '--time-scale',
    '20000',
    '--stats-interval',
    '0',
    '--log-level',
    'info', // for "server ready"
    '--starting-coins',
    '1000000',
  ];
  let child: ChildProcess | null = null;
  /** Spawn a server process that loads its modules and waits for a go (its stdout and stderr read from now on). */
  const launch = (): Launched => {
    const c = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const l: Launched = { c, ready: null, err: '' };
    c.stdin!.on('error', () => {}); // a spare killed before its go (end of the file): EPIPE
    c.stderr!.setEncoding('utf8').on('data', (d: string) => (l.err = (l.err + d).slice(-2000)));
    let out = '';
    const onData = (d: string): void => {
      out += d;
      for (let i = out.indexOf('\n'); i >= 0 && !l.ready; i = out.indexOf('\n')) {
        const line = out.slice(0, i);
        out = out.slice(i + 1);
        if (line.includes('"server ready"')) l.ready = JSON.parse(line) as { port: number; adminPort: number };
      }
      if (l.ready) c.stdout!.off('data', onData).resume(); // the rest of the log is not needed
    };
    c.stdout!.setEncoding('utf8').on('data', onData);
    return l;
  };
  /**
   * Start the server (the spare if there is one: the previous process is dead by now) and wait for its
   * "server ready" line (its ports); fails at once if it exits first. With `spareAfter`, the next
   * process is launched once this one is ready, to load while this one runs.
   */
  const start = async (spareAfter: boolean): Promise<ChildProcess> => {
    if (servers.closed) throw new Error('the file is done: no new server');
    const l = servers.spare ?? launch();
    servers.spare = null;
    const c = l.c;
    servers.current = c;
    c.stdin!.end('go\n');
    for (const end = Date.now() + 60_000; !l.ready; await sleep(20)) {
      if (c.exitCode !== null || c.signalCode !== null)
        throw new Error(`the server exited before it was ready (${c.exitCode ?? c.signalCode}): ${l.err}`);
      if (Date.now() > end) throw new Error(`the server was not ready after 60 s: ${l.err}`);
    }
    port = l.ready.port;
    adminPort = l.ready.adminPort;
    if (spareAfter && !servers.closed) servers.spare = launch();
    return c;
  };
  const kill = async (): Promise<void> => {
    const c = child!;
    port = 0; // until the next start: clients fail to connect and retry
    adminPort = 0;
    if (c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  const admin = async <T>(path: string): Promise<T> => {
    const r = await fetch(`http://127.0.0.1:${adminPort}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  };

  const states: ClientState[] = Array.from({ length: CLIENTS }, (_, i) => ({
    token: `crash-player-${i}`,
    resume: null,
    acked: new Map(),
    pending: null,
    next: 0,
    resumed: 0,
    refused: 0,
    lastCoins: null,
  }));
  let draining = false;
  const live = new Set<WorldtickClient>();
  const runClient = async (st: ClientState, i: number): Promise<void> => {
    while (!draining || st.pending !== null) {
      const c = new WorldtickClient({ url: `ws://127.0.0.1:${port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
      try {
        await c.connect();
        const refused = c
          .waitFor((m) => m.type === 20 && m.code === 'RESUME_REFUSED', 3000)
          .then(
            () => {
              st.refused++;
            },
            () => undefined,
          );
        // A killed server never answers: the join rejects as soon as the socket closes (WT_ERR_CLIENT_CLOSED).
        const w = await c.join('1', `p${i}`, st.token, st.resume, 3000);
        void refused;
        if (w.resumed) st.resumed++;
        st.resume = w.resumeToken;
      } catch {
        c.close();
        await sleep(100); // the server is (re)starting: a few tries a second, not a busy loop beside it
        continue;
      }
      live.add(c);
      while (c.open && (!draining || st.pending !== null)) {
        const key = st.pending ?? `buy-${i}-${st.next++}`;
        st.pending = key; // retried with the same key until it has a definitive answer
        let r;
        try {
          r = await c.purchase(key, 'arrow', 1, 1, 3000); // rejects at once when the socket closes
        } catch {
          break; // no answer (the server died, or a timeout): reconnect, retry the same key
        }
        if (r.status === 'ok') {
          const before = st.acked.get(key);
          if (before !== undefined && before !== r.seq) throw new Error(`key ${key} acknowledged with two seqs ${before} and ${r.seq}`);
          st.acked.set(key, r.seq!);
          st.lastCoins = r.coins;
          st.pending = null;
        } else if (r.code === 'TX_UNAVAILABLE') {
          await sleep(20);
        } else throw new Error(`unexpected result for ${key}: ${r.code}`);
      }
      live.delete(c);
      c.close();
    }
  };

  try {
    child = await start(true);
    const clients = states.map((st, i) => runClient(st, i));
    for (let k = 0; k < KILLS; k++) {
      // Let load build up after the (re)start, then kill at a random moment.
      const before = states.reduce((n, s) => n + s.acked.size, 0);
      const deadline = Date.now() + 15_000;
      while (states.reduce((n, s) => n + s.acked.size, 0) < before + 20 && Date.now() < deadline) await sleep(20);
      await sleep(nextRange(rng, 0, 600));
      await kill();
      await sleep(nextRange(rng, 0, 100));
      child = await start(k < KILLS - 1);
    }
    // After the last restart: some more load, then drain (every pending key answered).
    const before = states.reduce((n, s) => n + s.acked.size, 0);
    while (states.reduce((n, s) => n + s.acked.size, 0) < before + 50) await sleep(20);
    draining = true;
    await Promise.all(clients);
    // Reconnect every player (bound and caught up) so the verification sees live wallets.
    const final: WorldtickClient[] = [];
    await Promise.all(
      states.map(async (st) => {
        const c = new WorldtickClient({ url: `ws://127.0.0.1:${port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
        final.push(c);
        await c.connect();
        const wallet = c.waitFor((m) => m.type === 22, 5000);
        await c.join('1', 'final', st.token, st.resume, 5000);
        await wallet;
      }),
    );
    await sleep(300);

    let purchases = 0,
      chainRewards = 0;
    for (const st of states) {
      const playerId = playerIdOfToken(st.token);
      const body = await admin<{
        entries: LedgerEntry[];
        balance: { coins: number; items: Record<string, number> };
        live: { coins: number; items: Record<string, number>; appliedSeq: number } | null;
      }>(`/api/v1/worlds/1/ledger/players/${encodeURIComponent(playerId)}?limit=10000`);
      const byKey = new Map<string, LedgerEntry[]>();
      for (const e of body.entries) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e]);
      for (const [key, seq] of st.acked) {
        const found = byKey.get(key) ?? [];
        expect(found.length, `acknowledged ${key} is in the ledger exactly once`).toBe(1);
        expect(found[0].seq).toBe(seq);
        expect(found[0].status).toBe('ok');
      }
      for (const e of body.entries) if (e.key.startsWith('buy-')) expect(e.status).toBe('ok');
      // Applied exactly once: the live wallet equals the ledger (purchases, chain rewards, start grant)
      // up to its watermark — chain rewards keep coming, and one committed after the last step is
      // not applied yet (on a loaded machine that lag was ~100 coins of rewards).
      expect(body.live, `${playerId} is live`).not.toBeNull();
      const applied = body.entries.filter((e) => e.status === 'ok' && e.seq <= body.live!.appliedSeq);
      const items: Record<string, number> = {};
      for (const e of applied) if (e.item !== null && e.quantity) items[e.item] = (items[e.item] ?? 0) + e.quantity;
      expect(body.live!.coins).toBe(applied.reduce((n, e) => n + e.coinsDelta, 0));
      expect(body.live!.items).toEqual(items);
      expect(body.entries.filter((e) => e.kind === 'purchase' && e.seq > body.live!.appliedSeq)).toEqual([]);
      purchases += body.entries.filter((e) => e.kind === 'purchase').length;
      chainRewards += body.entries.filter((e) => e.kind === 'reward' && e.key.startsWith('chain:')).length;
      // Unacknowledged-but-committed purchases are possible (ok lost with the crash; then replayed to the retry).
      expect(body.entries.filter((e) => e.kind === 'purchase').length).toBe(st.acked.size);
    }
    const report = await admin<{ mismatches: unknown[]; players: number; ok: boolean }>('/api/v1/ledger/verify');
    expect(report.mismatches).toEqual([]);
    expect(report.players).toBeGreaterThanOrEqual(CLIENTS);
    expect(purchases).toBeGreaterThan(KILLS * 20);
    expect(chainRewards, 'gameplay rewards were granted under the kills').toBeGreaterThan(0);
    expect(
      states.reduce((n, s) => n + s.resumed, 0),
      'sessions resumed after restarts',
    ).toBeGreaterThan(0);
    for (const c of final) c.close();
    console.log(
      `crash test: seed ${seed}, ${KILLS} SIGKILLs, ${purchases} purchases acknowledged, ${chainRewards} chain rewards, ${states.reduce((n, s) => n + s.resumed, 0)} resumes, ${states.reduce((n, s) => n + s.refused, 0)} resume refusals`,
    );
  } finally {
    draining = true;
    for (const c of live) c.close();
    if (child && child.exitCode === null) await kill();
    if (servers.spare) servers.spare.c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
