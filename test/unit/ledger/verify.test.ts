/**
 * The consistency check: balances and inventories recomputed from the ledger match live wallets and
 * the snapshot's (0 mismatches), and an injected difference is reported.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWallet, walletSlot, type Wallet } from '../../../components/wallet.js';
import { applyLedgerEntries, readWallet } from '../../../src/ledger/apply.js';
import { createCatalogue } from '../../../src/ledger/catalogue.js';
import { LedgerService } from '../../../src/ledger/ledger-service.js';
import { verifyLedger } from '../../../src/ledger/verify.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';

const catalogue = createCatalogue([
  { id: 'sword', price: 7 },
  { id: 'apple', price: 1 },
]);
const players = ['p1', 'p2', 'p3', 'p4'];
const eidOf = (id: string): number | undefined => {
  const i = players.indexOf(id);
  return i < 0 ? undefined : i + 1;
};
const held = (w: Wallet) => players.map((p) => readWallet(w, eidOf(p)!, p, catalogue));

describe('verifyLedger', () => {
  let dir: string;
  let store: SqliteStore;
  let ledger: LedgerService;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wt-verify-'));
    store = new SqliteStore({ dataDir: dir });
    ledger = new LedgerService({ store, catalogue, worldId: 'w1', rateLimit: { perSecond: 0 } });
  });
  afterEach(async () => {
    await ledger.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports 0 mismatches for live state and an older snapshot, and detects injected ones', async () => {
    const live = createWallet(8);
    let n = 0;
    const round = async (): Promise<void> => {
      await Promise.all(players.map((p) => ledger.reward({ playerId: p, key: `r${n++}`, coins: 20 })));
      await Promise.all(
        players.map((p, i) =>
          ledger.purchase({ playerId: p, key: `b${n++}`, item: i % 2 ? 'apple' : 'sword', quantity: 2, expectedPrice: i % 2 ? 1 : 7 }),
        ),
      );
      applyLedgerEntries(live, ledger.takeCommitted(), eidOf, catalogue);
    };
    await round();
    // The "snapshot": wallets copied after the first round (watermarks included).
    const snapshot = createWallet(8);
    for (const k of Object.keys(live) as Array<keyof Wallet>) snapshot[k].set(live[k]);
    await round();
    // Committed but not yet applied: not a mismatch, counted as unapplied.
    await ledger.reward({ playerId: 'p1', key: 'late', coins: 5 });

    const ok = await verifyLedger({ store, live: held(live), snapshot: held(snapshot) });
    expect(ok.mismatches).toEqual([]);
    expect(ok.players).toBe(4);
    expect(ok.unapplied).toBe(1);
    expect(ok.entriesRead).toBe(17);

    live.coins[eidOf('p2')!] += 3;
    walletSlot(snapshot, catalogue.get('sword')!.slot)[eidOf('p3')!] = 99;
    const bad = await verifyLedger({ store, live: held(live), snapshot: held(snapshot) });
    expect(bad.mismatches).toEqual([
      { playerId: 'p2', source: 'live', field: 'coins', ledger: live.coins[eidOf('p2')!] - 3, held: live.coins[eidOf('p2')!] },
      { playerId: 'p3', source: 'snapshot', field: 'item:sword', ledger: 2, held: 99 },
    ]);
  });

  it('compares every live wallet of a player live in two worlds, not only the last one given', async () => {
    await Promise.all(players.map((p, i) => ledger.reward({ playerId: p, key: `grant-${i}`, coins: 10 })));
    const entries = ledger.takeCommitted();
    const [first, second] = [createWallet(8), createWallet(8)];
    applyLedgerEntries(first, entries, eidOf, catalogue);
    applyLedgerEntries(second, entries, eidOf, catalogue);
    first.coins[eidOf('p2')!] -= 10; // the first world's wallet lacks the grant
    const report = await verifyLedger({ store, live: [...held(first), ...held(second)] });
    // Before: one live wallet kept per player (the last), so the first world's was never compared.
    expect(report.mismatches).toEqual([{ playerId: 'p2', source: 'live', field: 'coins', ledger: 10, held: 0 }]);
  });
});
