/**
 * Anonymous players (`g:` ids: an empty or class-only hello token) leave no player records behind
 * (docs/DURABILITY.md "Anonymous players"), over SQLite and a real PostgreSQL: once a `g:` player's
 * last session record is gone (its grace over) and its player record has not been written for
 * `ANONYMOUS_PLAYER_IDLE_MS`, the durable sessions' prune deletes its `players` and `player_data`
 * rows — never a named player's, never one still within its grace or live — and keeps its ledger
 * entries and ledger summary (the ledger is append-only; verify stays clean). A pass is bounded.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DurableSessions, type ResolvedPlayer } from '../../../src/net/durable-sessions.js';
import { ANONYMOUS_PLAYER_IDLE_MS, ANONYMOUS_PRUNE_CHUNK, ANONYMOUS_PRUNE_CHUNKS } from '../../../src/store/bounded-prune.js';
import { sumBalance } from '../../../src/store/rows.js';
import type { PlayerDataLimits, SessionWrite } from '../../../src/store/types.js';
import { codeOf } from '../../helpers/code-of.js';
import { rewardEntry } from '../../helpers/ledger-entries.js';
import { putOp } from '../../helpers/player-data-ops.js';
import { type StoreHandle, sqliteAndPostgres, freshStoreEach } from '../../helpers/store-factories.js';

const factories = await sqliteAndPostgres('anonymous players');

const GRACE_S = 60;
const LIMITS: PlayerDataLimits = { maxBytesPerPlayer: 1000, maxKeysPerPlayer: 10 };

/** A start grant and one purchase of 5 arrows, as the ledger writes them. */
const ledgerOf = (playerId: string) => [
  rewardEntry('start-grant', { playerId, coinsDelta: 1000, fingerprint: 'reward|1000||0' }),
  rewardEntry('buy-1', {
    playerId,
    kind: 'purchase',
    item: 'arrow',
    quantity: 5,
    unitPrice: 1,
    coinsDelta: -5,
    fingerprint: 'p|arrow|5|1',
  }),
];

const ids = async (h: StoreHandle, sql: string): Promise<string[]> => (await h.query(sql)).map((r) => String(r.id)).sort();

for (const { factory, name } of factories) {
  describe.skipIf(!factory)(`anonymous players: ${name}`, () => {
    const fresh = freshStoreEach(factory);
    const errors: unknown[] = [];
    beforeEach(() => {
      errors.length = 0;
    });

    it('past their grace, anonymous players leave only their ledger; named, parked and live ones are untouched', async () => {
      const { store, handle } = fresh;
      let clock = Date.now();
      const ds = new DurableSessions(
        store,
        () => GRACE_S,
        (err) => errors.push(err),
        () => clock,
      );
      const join = (n: string, token: string, resume: string | null = null): Promise<ResolvedPlayer> =>
        ds.resolve('w', n, token, resume, 3, 4);
      // 12 anonymous players (empty and class-only tokens), a named one, and one that stays live.
      const gone: ResolvedPlayer[] = [];
      for (let i = 0; i < 12; i++) gone.push(await join(`anon${i}`, i % 3 === 0 ? 'bot' : ''));
      const named = await join('alice', 'alice-token');
      const live = await join('stays', '');
      const all = [...gone, named, live];
      expect(gone.every((r) => r.playerId.startsWith('g:'))).toBe(true);
      await store.commitLedger(all.flatMap((r) => ledgerOf(r.playerId)));
      expect(
        await store.applyPlayerData(
          all.map((r) => putOp('save', { level: 2 }, null, r.playerId)),
          LIMITS,
        ),
      ).toHaveLength(all.length);
      for (const r of [...gone, named]) ds.park(r.resumeToken, r.playerId, 'w', 'x', 5, 6);
      await ds.settled();

      // Their grace passes; the registry drops half of the parked records at its end (the others are
      // an earlier process's, left to the expiry prune), and the live player's position is saved.
      clock += GRACE_S * 1000 + ANONYMOUS_PLAYER_IDLE_MS + 1;
      for (const r of gone.slice(0, 6)) ds.drop(r.resumeToken);
      // An anonymous player that joined and left just now: within its grace.
      const recent = await join('recent', '');
      await store.commitLedger(ledgerOf(recent.playerId));
      await store.applyPlayerData([putOp('save', 1, null, recent.playerId)], LIMITS);
      ds.park(recent.resumeToken, recent.playerId, 'w', 'recent', 7, 8);
      await ds.settled();
      const first = gone[0] as ResolvedPlayer;
      const before = await store.ledgerBalance(first.playerId);

      ds.prune();
      await ds.settled();
      expect(errors).toEqual([]);
      expect(ds.anonymousPlayersPruned).toBe(12);

      const kept = [named.playerId, live.playerId, recent.playerId].sort();
      expect(await ids(handle, 'SELECT id FROM players')).toEqual(kept);
      expect(await ids(handle, 'SELECT player_id AS id FROM player_data')).toEqual(kept);
      // The named player's session expired (pruned as before); the live and the parked ones stay.
      expect(await ids(handle, 'SELECT token AS id FROM sessions')).toEqual([live.resumeToken, recent.resumeToken].sort());
      // The ledger is kept whole (append-only: docs/DURABILITY.md "Anonymous players"), and agrees with its summaries.
      const ledger = await store.readLedger({});
      expect(ledger).toHaveLength(2 * (all.length + 1));
      for (const r of [...all, recent]) {
        const summary = await store.ledgerBalance(r.playerId);
        const entries = ledger.filter((e) => e.playerId === r.playerId);
        expect(summary).toEqual(sumBalance(entries));
        expect(summary.coins).toBe(995);
      }
      expect(await store.ledgerBalance(first.playerId)).toEqual(before);

      // A pruned player's resume token is refused: a fresh player, never the old id.
      const again = await join('anon0', '', first.resumeToken);
      expect(again).toMatchObject({ resumed: false, refused: 'unknown resume token' });
      expect(again.playerId).not.toBe(first.playerId);
      // The one within its grace resumes, at its saved position; the named player is found by its token.
      expect(await join('recent', '', recent.resumeToken)).toMatchObject({ resumed: true, playerId: recent.playerId, x: 7, y: 8 });
      expect(await join('alice', 'alice-token')).toMatchObject({ playerId: named.playerId, x: 5, y: 6 });
      await ds.settled();
      expect(errors).toEqual([]);
    });

    it('a player record written within the idle time is kept; a pass after it takes it', async () => {
      const { store, handle } = fresh;
      let clock = Date.now();
      const ds = new DurableSessions(
        store,
        () => 0,
        (err) => errors.push(err),
        () => clock,
      );
      const r = await ds.resolve('w', 'a', '', null, 0, 0);
      ds.drop(r.resumeToken); // no grace: its session ends at once
      await ds.settled();
      ds.prune();
      await ds.settled();
      expect(ds.anonymousPlayersPruned).toBe(0);
      expect(await ids(handle, 'SELECT id FROM players')).toEqual([r.playerId]);
      clock += ANONYMOUS_PLAYER_IDLE_MS + 60_000;
      ds.prune();
      await ds.settled();
      expect(ds.anonymousPlayersPruned).toBe(1);
      expect(await ids(handle, 'SELECT id FROM players')).toEqual([]);
    });

    it('one pass deletes at most ANONYMOUS_PRUNE_CHUNKS chunks; the next pass the rest', async () => {
      const { store, handle } = fresh;
      const cap = ANONYMOUS_PRUNE_CHUNK * ANONYMOUS_PRUNE_CHUNKS;
      const ops: SessionWrite[] = [];
      for (let i = 0; i < cap + 7; i++) ops.push({ kind: 'player', id: `g:bulk${i}`, name: 'b', data: { worldId: 'w', x: 0, y: 0 } });
      ops.push({ kind: 'player', id: 't:named', name: 'n', data: {} });
      await store.writeSessions(ops);
      const ds = new DurableSessions(
        store,
        () => GRACE_S,
        (err) => errors.push(err),
        () => Date.now() + ANONYMOUS_PLAYER_IDLE_MS + 1,
      );
      ds.prune();
      await ds.settled();
      expect(ds.anonymousPlayersPruned).toBe(cap);
      expect((await handle.query('SELECT id FROM players')).length).toBe(8);
      ds.prune();
      await ds.settled();
      expect(ds.anonymousPlayersPruned).toBe(cap + 7);
      expect(await ids(handle, 'SELECT id FROM players')).toEqual(['t:named']);
      expect(errors).toEqual([]);
    });

    it('the store method: only g: ids idle before the time and without a session, at most the limit; bad arguments refused', async () => {
      const { store, handle } = fresh;
      await store.writeSessions([
        { kind: 'player', id: 'g:a', name: 'a', data: {} },
        { kind: 'player', id: 'g:b', name: 'b', data: {} },
        { kind: 'player', id: 'g:c', name: 'c', data: {} },
        { kind: 'player', id: 'G:upper', name: 'u', data: {} },
        { kind: 'player', id: 'gx', name: 'x', data: {} },
        { kind: 'player', id: 'a:auth', name: 'x', data: {} },
        { kind: 'session', record: { token: 'tok', playerId: 'g:c', worldId: 'w', expiresAt: 1, data: {} } },
      ]);
      const later = Date.now() + 1000;
      expect(await store.pruneAnonymousPlayers(Date.now() - 60_000, 10)).toBe(0); // written just now
      expect(await store.pruneAnonymousPlayers(later, 1)).toBe(1);
      expect(await store.pruneAnonymousPlayers(later, 10)).toBe(1);
      expect(await store.pruneAnonymousPlayers(later, 10)).toBe(0); // g:c has a session record (even an expired one)
      expect(await ids(handle, 'SELECT id FROM players')).toEqual(['G:upper', 'a:auth', 'g:c', 'gx']);
      for (const [b, l] of [
        [Number.NaN, 10],
        [later, 0],
        [later, 1.5],
        [later, 100_001],
      ] as const)
        expect(await codeOf(store.pruneAnonymousPlayers(b, l))).toBe('WT_ERR_OPTION_INVALID');
      expect((await handle.query('SELECT id FROM players')).length).toBe(4);
    });
  });
}
