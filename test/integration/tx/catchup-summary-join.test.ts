/**
 * A player with a long ledger history (3,000 entries) joins a fresh world over a real WebSocket: its
 * wallet message and wallet row hold the right coins and items, and the catch-up read ONE summary
 * row from the store, not the history (no ledger rows read; the world's `catchUpSummaries` counts
 * it). A real GameServer on 127.0.0.1, a real SQLite store in a temporary directory.
 */
import { pack, unpack } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { attachLedger, detachLedger, walletOf, worldLedgerStats } from '../../../src/ledger/world-ledger.js';
import { playerIdOfToken } from '../../../src/net/durable-sessions.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import type { LedgerEntryInput, Store } from '../../../src/store/types.js';
import { runStep } from '../../../src/world/step.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { rewardEntry } from '../../helpers/ledger-entries.js';
import { sessionServer, sessionWorld } from '../../helpers/session-world.js';

const WALLET = 22;
const HISTORY = 3000;

/** `store`, counting the ledger rows its reads return (`readLedger`, `findLedgerEntries`). */
const counting = (store: Store): { store: Store; rowsRead: () => number } => {
  let rows = 0;
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      if (prop === 'readLedger' || prop === 'findLedgerEntries')
        return async (...args: unknown[]) => {
          const out = (await (v as (...a: unknown[]) => Promise<unknown[]>).apply(target, args)) as unknown[];
          rows += out.length;
          return out;
        };
      return (v as (...a: unknown[]) => unknown).bind(target);
    },
  });
  return { store: wrapped, rowsRead: () => rows };
};

describe('a long history joins a fresh world from its ledger summary', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it(`${HISTORY} entries: the right wallet, no ledger row read`, async () => {
    const dir = tempDataDir('wt-catchup-summary-');
    cleanup.push(() => dir.remove());
    const real = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => real.close());
    const token = 'long-history';
    const player = playerIdOfToken(token);
    const batch: LedgerEntryInput[] = [];
    for (let i = 0; i < HISTORY; i++)
      batch.push(
        i % 3 === 2
          ? rewardEntry(`h${i}`, { playerId: player, kind: 'purchase', item: 'potion', quantity: 1, unitPrice: 10, coinsDelta: -10 })
          : rewardEntry(`h${i}`, { playerId: player, item: i % 3 === 1 ? 'arrow' : null, quantity: i % 3 === 1 ? 2 : 0, coinsDelta: 9 }),
      );
    await real.commitLedger(batch);
    const want = { coins: 2000 * 9 - 1000 * 10, items: { potion: 1000, arrow: 2000 } };

    const { store, rowsRead } = counting(real);
    const world = sessionWorld(64);
    attachLedger(world, { store, startingCoins: 0, rateLimit: { perSecond: 0 } });
    cleanup.push(() => detachLedger(world));
    const server = sessionServer(world, store);
    await server.start();
    cleanup.push(() => server.stop());
    const stepper = setInterval(() => runStep(world), 20);
    cleanup.push(() => clearInterval(stepper));
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}`);
    cleanup.push(() => ws.close());
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const before = rowsRead();
    const wallet = await new Promise<unknown[]>((resolve, reject) => {
      ws.on('message', (d: Buffer) => {
        const m = unpack(d) as unknown[];
        if (m[0] === WALLET) resolve(m);
        else if (m[0] === 20) reject(new Error(`error message ${JSON.stringify(m)}`));
      });
      ws.send(pack([1, 1, 'w1', 'p', token, null]), { binary: true });
    });
    expect(wallet[1]).toBe(want.coins);
    expect(wallet[2]).toEqual(want.items);
    expect(walletOf(world, player)).toMatchObject(want);
    expect(await real.ledgerBalance(player)).toMatchObject(want);
    expect(rowsRead() - before).toBe(0);
    expect(worldLedgerStats(world)).toMatchObject({ catchUpSummaries: 1, catchUpEntriesRead: 0, applied: 0 });
  });
});
