/**
 * The ledger service's per-player cache of committed balances (src/ledger/ledger-service.ts): a
 * cache only — a player missing from it is loaded from the store by its next request. Bounded by
 * the players the world still holds: a player forgotten (it left the world) or touched by a batch
 * without being retained (a request that settled after its player left: a start grant, a
 * purchase in flight, an admin reward) is dropped when the service's drain ends — never while a
 * batch runs, since a batch reads the balances it loaded across awaits.
 */
import type { LedgerEntry, Store } from '../store/types.js';
import { toWorking, type WorkingBalance } from './decide.js';

/** Balances, stale marks and outbox watermarks per player. A class: it owns the maps. */
export class BalanceCache {
  /** Committed balances per player (from the ledger). */
  readonly balances = new Map<string, WorkingBalance>();
  /** Players whose cached balance may be stale (after an ambiguous commit failure). */
  readonly dirty = new Set<string>();
  /** Highest seq pushed to the outbox per player (or known applied at load). */
  readonly yielded = new Map<string, number>();
  /**
   * Per player, the balance's last seq when it was first loaded: the outbox yields every `ok` entry
   * of the player above it (its own commits, and another writer's through a stale reload), none at or
   * below it — those a wallet must have from its own catch-up read (src/ledger/world-ledger-apply.ts).
   */
  readonly base = new Map<string, number>();
  readonly #forgetting = new Set<string>();
  readonly #touched = new Set<string>();
  readonly #retain: ((playerId: string) => boolean) | null;

  /** `retain`: whether a player touched by a batch stays cached (null: every player does). */
  constructor(retain: ((playerId: string) => boolean) | null) {
    this.#retain = retain;
  }

  /** Players a batch loaded (checked against `retain` when the drain ends). */
  touch(players: Iterable<string>): void {
    if (this.#retain) for (const id of players) this.#touched.add(id);
  }

  /** Forget `playerId`: now when no drain runs (`busy` false), else when it ends ({@link settle}). */
  forget(playerId: string, busy: boolean): void {
    this.#forgetting.add(playerId);
    if (!busy) this.settle();
  }

  /** A drain ended: drop the players forgotten meanwhile and those touched but not retained. */
  settle(): void {
    const retain = this.#retain;
    if (retain) for (const id of this.#touched) if (!retain(id)) this.#forgetting.add(id);
    this.#touched.clear();
    for (const id of this.#forgetting) {
      this.balances.delete(id);
      this.yielded.delete(id);
      this.base.delete(id);
      this.dirty.delete(id);
    }
    this.#forgetting.clear();
  }

  /**
   * Load (or reload) the balances of a batch's players from `store`. A reload of a stale player
   * whose ledger moved past what the outbox yielded calls `catchUp(player, yieldedSeq)` first
   * (the service pushes the entries committed unseen).
   */
  async load(players: ReadonlySet<string>, store: Store, catchUp: (playerId: string, seen: number) => Promise<void>): Promise<void> {
    this.touch(players);
    const need = [...players].filter((id) => !this.balances.has(id) || this.dirty.has(id));
    await Promise.all(
      need.map(async (id) => {
        const b = await store.ledgerBalance(id);
        const seen = this.yielded.get(id);
        if (this.dirty.has(id) && seen !== undefined && b.lastSeq > seen) await catchUp(id, seen);
        this.balances.set(id, toWorking(b));
        if (seen === undefined) this.base.set(id, b.lastSeq);
        this.yielded.set(id, Math.max(seen ?? 0, b.lastSeq));
        this.dirty.delete(id);
      }),
    );
  }

  /**
   * Apply an `ok` entry this service just committed to its player's cached balance (loaded by the
   * batch that decided it) and advance the player's outbox watermark to its seq.
   */
  applyCommitted(entry: LedgerEntry): void {
    const b = this.balances.get(entry.playerId)!;
    b.coins += entry.coinsDelta;
    if (entry.item !== null && entry.quantity) b.items.set(entry.item, (b.items.get(entry.item) ?? 0) + entry.quantity);
    if (entry.seq > (this.yielded.get(entry.playerId) ?? 0)) this.yielded.set(entry.playerId, entry.seq);
  }

  /** Players with a cached balance. */
  get size(): number {
    return this.balances.size;
  }
}
