/**
 * What a player's ledger history costs a join into a world that does not hold its entity (docs/DURABILITY.md
 * "Player binding and catch-up"): a new player entity has a fresh wallet (`Wallet.appliedSeq` 0), so
 * its catch-up starts from the player's ledger summary (one `ledger_balances` row, schema 9;
 * src/ledger/catch-up.ts) — before the summary it read every `ok` entry the player ever had
 * (src/ledger/read-player-ledger.ts) and applied them in one step. That is a player's first join to
 * a world and every resume into a restored, migrated or failed-over world (a checkpoint keeps no
 * player entities). Each row also says how the last join caught up (`catchUp`: summaries read,
 * entries read, entries applied one by one: the world's ledger stats).
 *
 *   npx tsx bench/ledger-catchup.ts [--quick] [--postgres]    (or `npm run bench -- ledger-catchup`)
 *
 * For each history size H (0, 1,000, 10,000, 50,000; --quick: 0 and 1,000): a fresh SQLite store in
 * a temp dir is filled, through `store.commitLedger` in batches, with H committed `ok` entries of
 * ONE player (rewards of 15 coins and potion purchases of 10, alternating, so the balance never goes
 * negative). Then, REPS times, a fresh paused session world (test/helpers/session-world.ts) with a
 * ledger attached (`attachLedger`, no starting coins, no rate limit) is served by a real GameServer
 * on 127.0.0.1, stepped at 20 Hz by this process, and one `ws` client in this process sends the
 * player's hello (the same token each time: the durable session of the previous repetition is
 * resumed into a new entity, as after a restart). Measured from the hello to the first `wallet`
 * message: wall time, this process's CPU (server, stepper and the one client), heapUsed delta (after
 * a GC when run with --expose-gc), and the longest step meanwhile (the catch-up's apply) with its
 * ingest system's share, the longest event-loop stall (the SQLite store reads on the event loop), and
 * after it the history read alone (`readPlayerLedger`). The wallet message and the world's wallet row must equal the store's
 * `ledgerBalance` and the expected coins and potions (the bench throws otherwise). Writes
 * bench/results/ledger-catchup.json.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { pack, unpack } from 'msgpackr';
import WebSocket from 'ws';
import { readPlayerLedger } from '../src/ledger/read-player-ledger.js';
import { attachLedger, detachLedger, walletOf, worldLedgerStats } from '../src/ledger/world-ledger.js';
import { PostgresStore } from '../src/store/postgres-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { LedgerEntryInput, Store } from '../src/store/types.js';
import { runStep } from '../src/world/step.js';
import { playerIdOfToken } from '../src/net/durable-sessions.js';
import { tempDataDir } from '../test/helpers/data-dir.js';
import { startPostgres } from '../test/helpers/postgres-server.js';
import { sessionServer, sessionWorld } from '../test/helpers/session-world.js';
import { runSuite, type Suite } from './harness.js';
import { historyEntry } from './ledger-history-entry.js';

const WALLET = 22;
/** The player's hello token at history size `h` (one player per size: PostgreSQL runs every size in one database). */
const tokenOf = (h: number): string => `catchup-player-${h}`;
const FILL_BATCH = 5000;
/** `--postgres`: the same on a throwaway PostgreSQL server (writes bench/results/ledger-catchup-postgres.json). */
const POSTGRES = process.argv.includes('--postgres');
const gc = (globalThis as { gc?: () => void }).gc;

const entryAt = (player: string, i: number): LedgerEntryInput => historyEntry(player, `h${i}`, i % 2 === 0);

/** Coins and potions after `h` entries of {@link entryAt}. */
const expected = (h: number): { coins: number; potions: number } => ({
  coins: 15 * Math.ceil(h / 2) - 10 * Math.floor(h / 2),
  potions: Math.floor(h / 2),
});

const fill = async (store: Store, player: string, h: number): Promise<number> => {
  const t0 = performance.now();
  for (let i = 0; i < h; i += FILL_BATCH) {
    const batch: LedgerEntryInput[] = [];
    for (let j = i; j < Math.min(h, i + FILL_BATCH); j++) batch.push(entryAt(player, j));
    await store.commitLedger(batch);
  }
  return performance.now() - t0;
};

interface Join {
  wallMs: number;
  cpuMs: number;
  heapDeltaMiB: number;
  maxStepMs: number;
  maxIngestMs: number;
  /** The step that applied the join fact (the catch-up's first page is read inside it: the SQLite store reads synchronously). */
  joinStepMs: number;
  /** The step that applied the catch-up's entries to the wallet. */
  applyStepMs: number;
  /** Longest event-loop stall meanwhile (beyond the 10 ms sampling interval): the SQLite store reads on the event loop. */
  loopDelayMs: number;
  /** The player's whole history read alone (`readPlayerLedger`, what the catch-up read before the summary), after the join. */
  readMs: number;
  /** How the join caught up (the world's ledger stats). */
  catchUp: { summaries: number; entriesRead: number; applied: number };
}

/** One join of the player into a fresh world served on `store`. */
const joinOnce = async (store: Store, h: number): Promise<Join> => {
  const token = tokenOf(h);
  const player = playerIdOfToken(token);
  const world = sessionWorld(64);
  attachLedger(world, { store, startingCoins: 0, rateLimit: { perSecond: 0 } });
  const server = sessionServer(world, store);
  await server.start();
  let maxStepMs = 0,
    maxIngestMs = 0,
    joinStepMs = 0,
    applyStepMs = 0;
  const l = world.ledger;
  const stepper = setInterval(() => {
    const bound = l?.eidOf.has(player) === true;
    const catching = l?.catchingUp.has(player) === true;
    runStep(world);
    maxStepMs = Math.max(maxStepMs, world.stats.totalMs);
    maxIngestMs = Math.max(maxIngestMs, world.stats.systemMs[0] ?? 0);
    // The step whose ingest applied the join (bindPlayer: the catch-up's first store read starts
    // inside it), and the one that applied the catch-up (a step can do both when the read is quick).
    if (!bound && l?.eidOf.has(player) === true) joinStepMs = world.stats.totalMs;
    if ((catching || !bound) && l?.eidOf.has(player) === true && l.catchingUp.has(player) === false) applyStepMs = world.stats.totalMs;
  }, 50);
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}`);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  gc?.();
  maxStepMs = 0;
  maxIngestMs = 0;
  const heap0 = process.memoryUsage().heapUsed;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const wallet = await new Promise<unknown[]>((resolve, reject) => {
    ws.on('message', (d: Buffer) => {
      const m = unpack(d) as unknown[];
      if (m[0] === WALLET) resolve(m);
      else if (m[0] === 20) reject(new Error(`error message ${JSON.stringify(m)}`));
    });
    ws.send(pack([1, 1, 'w1', 'p', token, null]), { binary: true });
  });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const heapDeltaMiB = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
  delay.disable();
  const loopDelayMs = Math.max(0, delay.max / 1e6 - 10);
  const want = expected(h);
  const held = walletOf(world, player);
  const items = (wallet[2] ?? {}) as Record<string, number>;
  if (
    wallet[1] !== want.coins ||
    (items.potion ?? 0) !== want.potions ||
    held?.coins !== want.coins ||
    (held.items.potion ?? 0) !== want.potions
  )
    throw new Error(`H=${h}: wallet ${JSON.stringify(wallet)} / world ${JSON.stringify(held)}, expected ${JSON.stringify(want)}`);
  const ls = worldLedgerStats(world);
  const catchUp = { summaries: ls?.catchUpSummaries ?? 0, entriesRead: ls?.catchUpEntriesRead ?? 0, applied: ls?.applied ?? 0 };
  ws.close();
  clearInterval(stepper);
  await server.stop();
  await detachLedger(world);
  const r0 = performance.now();
  const read = await readPlayerLedger(store, player);
  const readMs = performance.now() - r0;
  if (read.length !== h) throw new Error(`H=${h}: read ${read.length} entries`);
  return {
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    heapDeltaMiB,
    maxStepMs,
    maxIngestMs,
    joinStepMs,
    applyStepMs,
    loopDelayMs,
    readMs,
    catchUp,
  };
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? 0;
};
const r1 = (n: number): number => Math.round(n * 10) / 10;

export const ledgerCatchupSuite: Suite = {
  name: POSTGRES ? 'ledger-catchup-postgres' : 'ledger-catchup',
  async run(ctx) {
    const sizes = ctx.quick ? [0, 1000] : [0, 1000, 10_000, 50_000];
    const reps = ctx.quick ? 3 : 7;
    const rows: Array<Record<string, unknown>> = [];
    const pgServer = POSTGRES ? await startPostgres() : null;
    if (pgServer && 'skip' in pgServer) throw new Error(`--postgres: ${pgServer.skip}`);
    for (const h of sizes) {
      const dir = tempDataDir('wt-ledger-catchup-');
      const store = pgServer ? await PostgresStore.open({ url: pgServer.url }) : new SqliteStore({ dataDir: dir.dir });
      const player = playerIdOfToken(tokenOf(h));
      try {
        const fillMs = await fill(store, player, h);
        const bal = await store.ledgerBalance(player);
        const want = expected(h);
        if (bal.coins !== want.coins || (bal.items.potion ?? 0) !== want.potions)
          throw new Error(`H=${h}: store balance ${JSON.stringify(bal)}, expected ${JSON.stringify(want)}`);
        await joinOnce(store, h); // warm-up (JIT, first store reads), not counted
        const runs: Join[] = [];
        for (let i = 0; i < reps; i++) runs.push(await joinOnce(store, h));
        const fig = (k: Exclude<keyof Join, 'catchUp'>): { median: number; max: number } => ({
          median: r1(median(runs.map((r) => r[k]))),
          max: r1(Math.max(...runs.map((r) => r[k]))),
        });
        rows.push({
          history: h,
          reps,
          fillMs: Math.round(fillMs),
          wallMs: fig('wallMs'),
          cpuMs: fig('cpuMs'),
          heapDeltaMiB: fig('heapDeltaMiB'),
          maxStepMs: fig('maxStepMs'),
          maxIngestMs: fig('maxIngestMs'),
          joinStepMs: fig('joinStepMs'),
          applyStepMs: fig('applyStepMs'),
          loopDelayMs: fig('loopDelayMs'),
          readMs: fig('readMs'),
          catchUp: runs[runs.length - 1]?.catchUp,
          coins: want.coins,
          potions: want.potions,
        });
      } finally {
        await store.close();
        dir.remove();
      }
    }
    await pgServer?.stop();
    console.table(
      rows.map((r) => {
        const m = (k: string): string => {
          const v = r[k] as { median: number; max: number };
          return `${v.median} / ${v.max}`;
        };
        return {
          H: r.history,
          'join wall ms (med / max)': m('wallMs'),
          'CPU ms': m('cpuMs'),
          'heap Δ MiB': m('heapDeltaMiB'),
          'longest step ms': m('maxStepMs'),
          'join step ms': m('joinStepMs'),
          'apply step ms': m('applyStepMs'),
          'loop stall ms': m('loopDelayMs'),
          'read alone ms': m('readMs'),
        };
      }),
    );
    ctx.record('store', POSTGRES ? 'postgres (throwaway server, test/helpers/postgres-server.ts)' : 'sqlite (temp data dir)');
    ctx.record('gcBeforeJoin', gc !== undefined);
    ctx.record('joins', rows);
  },
};

export default ledgerCatchupSuite;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runSuite(ledgerCatchupSuite, process.argv.includes('--quick'));
  process.exit(0);
}
