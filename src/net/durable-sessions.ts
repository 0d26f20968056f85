/**
 * Durable player identity and session records (docs/DURABILITY.md, "Players and sessions").
 *
 * Player id (the ledger's `playerId`, stable across sessions and restarts):
 *   - hello `token` given  → `t:` + first 32 hex of sha256(token): the same token is the same player;
 *   - no token, or one that only names a session class (`bot`, `spectator`, `observer`)
 *                          → `g:` + 24 random base64url characters, generated at the first join
 *                            and bound to the resume token in the session record;
 *   - with the game's `authenticate` hook (GameServerOptions) → `a:` + first 32 hex of
 *                            sha256(identity), the identity the hook accepted (the token is
 *                            then only a credential: a rotated token of one identity is one player).
 * Session record (store `sessions`, keyed by resume token): player id, world, and `data`
 * `{ live, boot, name }`. Player record (store `players`): `data { worldId, x, y }`, the player's
 * last known position (saved at join, every couple of seconds while live, and at park).
 *
 * Resume after a restart: a record written `live` by another process (`boot`) was live at
 * shutdown or crash; it is resumable until `resumeGraceSeconds` after THIS process started. A
 * parked record is resumable until its `expiresAt`. Anything else is refused with a code and the
 * client joins as a fresh player — never as someone else's.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ANONYMOUS_PLAYER_IDLE_MS, ANONYMOUS_PRUNE_CHUNK, ANONYMOUS_PRUNE_CHUNKS, pruneInChunks } from '../store/bounded-prune.js';
import type { SessionRecord, SessionWrite, Store } from '../store/types.js';
import { FREE_PACE, type SweepPace, type SweepTransaction, sweepExpiredSessions, timedTransaction } from './session-sweep.js';
import { type Batch, newBatch, sessionKey } from './session-write-batch.js';

/** Longest a live record stays valid without being refreshed (wall ms): a safety bound. */
export const LIVE_RECORD_MS = 24 * 3600 * 1000;

/** What a hello resolves to. */
export interface ResolvedPlayer {
  playerId: string;
  /** Resume token to use (the presented one when resumed, else a new one). */
  resumeToken: string;
  /** Last saved position, when the player record has one. */
  x: number | null;
  y: number | null;
  /** True when a durable record was resumed. */
  resumed: boolean;
  /** Why a presented resume token was refused (then a fresh join), or null. */
  refused: string | null;
  /** True when the hello would have created a new player identity and `admitNew` refused it: nothing was written. */
  limited?: boolean;
  /** A resume's record as it was before this hello (put back by {@link DurableSessions.abandon}). */
  previous?: SessionRecord;
}

/**
 * True when `token` only names a session class (exactly `bot`, `spectator` or `observer`, no
 * `:suffix`; session-priority.ts `classFromToken`): it names no player, like the empty token
 * (the load-test bots send one such token from thousands of sockets).
 */
export const isClassOnlyToken = (token: string): boolean => token === 'bot' || token === 'spectator' || token === 'observer';

/**
 * The player id a hello token names (`t:` + 32 hex of its sha256), or null when it names nobody:
 * the empty token and a class-only token ({@link isClassOnlyToken}) are anonymous.
 */
export const identityOfToken = (token: string): string | null => (token === '' || isClassOnlyToken(token) ? null : playerIdOfToken(token));

/** Player id of an auth token (`t:` + 32 hex of its sha256). */
export const playerIdOfToken = (token: string): string => `t:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;

/**
 * Player id of an identity accepted by the game's `authenticate` hook (`a:` + 32 hex of its
 * sha256): its own namespace, so an authenticated identity never shares a row with a raw token.
 */
export const playerIdOfIdentity = (identity: string): string => `a:${createHash('sha256').update(identity).digest('hex').slice(0, 32)}`;

/** Whether `t` looks like a resume token this server issued (base64url); anything else is refused as unknown. */
export const isIssuedResumeToken = (t: string): boolean => /^[A-Za-z0-9_-]{1,256}$/.test(t);

/** A fresh resume token. */
export const newResumeToken = (): string => randomBytes(18).toString('base64url');

/** A fresh generated player id (`g:` + 24 base64url characters). */
export const newPlayerId = (): string => `g:${randomBytes(18).toString('base64url')}`;

/** Player id for a fresh join: the token's identity, or a generated one (empty or class-only token). */
export const freshPlayerId = (helloToken: string): string => identityOfToken(helloToken) ?? newPlayerId();

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Durable sessions over a store. A class: it holds the boot id and the store handle. */
export class DurableSessions {
  readonly boot = randomBytes(9).toString('base64url');
  readonly startedAt: number;
  readonly #store: Store;
  readonly #graceMs: () => number;
  readonly #now: () => number;
  /** Failed write batches and deletes (each also reported to the error hook). */
  writeErrors = 0;
  /** Anonymous players whose records the prune deleted (`worldtick_net_anonymous_players_pruned_total`). */
  anonymousPlayersPruned = 0;
  /** Expired session records the sweep deleted, and its passes an emergency stopped (`worldtick_net_expired_sessions_swept_total`, `…_session_sweeps_deferred_total`). */
  expiredSessionsSwept = 0;
  sessionSweepsDeferred = 0;
  readonly #onError: (err: unknown) => void;
  readonly #pace: SweepPace;
  /** Writes waiting for the end of the turn ({@link DurableSessions.settled}), and their commit. */
  #pending: SessionWrite[] = [];
  #batch: Batch | null = null;
  /** Every write-behind batch, whole-table delete and sweep transaction, in order. */
  #chain: Promise<void> = Promise.resolve();
  /** The session sweeps ({@link DurableSessions.prune}), one after another; never rejects. */
  #sweep: Promise<void> = Promise.resolve();
  /**
   * The latest write of each session token / player id not yet committed (waiting or being
   * committed): what a read sees before the store does, so a hello reads a park or drop of its token
   * queued in the same turn without committing it first (a flush per lookup made each hello a
   * transaction of its own).
   */
  readonly #unsettledSessions = new Map<string, SessionWrite>();
  readonly #unsettledPlayers = new Map<string, SessionWrite>();
  /**
   * Wall ms when this process took each world over from another instance (cluster). An entry older
   * than the grace changes nothing (`since + grace` is past either way) and is dropped at the next
   * adoption; a world deleted here drops its own.
   */
  readonly #adoptedAt = new Map<string, number>();

  /** `pace`: the load the sweep fits in (src/net/session-sweep.ts); default: normal, no step due. */
  constructor(store: Store, graceSeconds: () => number, onError: (err: unknown) => void, now: () => number = Date.now, pace = FREE_PACE) {
    this.#store = store;
    this.#pace = pace;
    this.#graceMs = () => graceSeconds() * 1000;
    this.#now = now;
    this.startedAt = now();
    this.#onError = onError;
  }

  /**
   * Resolve a hello: resume a durable record (same world, same token identity, not expired), or
   * a fresh player (with the refusal reason when a resume token was presented). The record is
   * written `live` (and a new player's record with it) in the write-behind batch of the turn, and
   * this resolves only once that batch is committed, so the welcome's token is durable; a failed
   * commit rejects (every hello of the batch is answered UNAVAILABLE). `authPlayerId`: the player
   * id of the identity the game's `authenticate` hook accepted ({@link playerIdOfIdentity}); it
   * replaces the hello token's (a resume needs the same identity; a fresh join is that player).
   * `admitNew`: asked before a new player identity (no player record yet) is written; false → the
   * answer is `limited` and nothing is written (src/net/new-player-limit.ts).
   */
  async resolve(
    worldId: string,
    name: string,
    helloToken: string,
    resumeToken: string | null,
    x: number,
    y: number,
    authPlayerId: string | null = null,
    admitNew: (() => boolean) | null = null,
  ): Promise<ResolvedPlayer> {
    // Reads come after every batch and whole-table delete already sent; writes still waiting for
    // the end of this turn are seen through the overlay (#readSession), not committed early.
    await this.#chain;
    const now = this.#now();
    const claimed = authPlayerId ?? identityOfToken(helloToken);
    const live = { live: true, boot: this.boot, name };
    let refused: string | null = null;
    // Not of the form this server issues (newResumeToken: base64url): unknown, without a store read
    // (a NUL in it made PostgreSQL fail the query, and the client was told the store was unavailable).
    if (resumeToken && !isIssuedResumeToken(resumeToken)) refused = 'unknown resume token';
    else if (resumeToken) {
      const rec = await this.#readSession(resumeToken);
      const liveElsewhere = rec?.data.live === true && rec.data.boot !== this.boot;
      const since = Math.max(this.startedAt, this.#adoptedAt.get(worldId) ?? 0);
      const expiresAt = rec ? (liveElsewhere ? Math.min(rec.expiresAt, since + this.#graceMs()) : rec.expiresAt) : 0;
      if (!rec) refused = 'unknown resume token';
      else if (rec.worldId !== worldId) refused = 'resume token belongs to another world';
      else if (now > expiresAt) refused = 'resume token expired';
      else if (claimed !== null && claimed !== rec.playerId) refused = 'resume token belongs to another player';
      else {
        const p = await this.#readPlayer(rec.playerId);
        const px = finite(p?.data.x),
          py = finite(p?.data.y);
        await this.#queue({
          kind: 'session',
          record: { token: resumeToken, playerId: rec.playerId, worldId, expiresAt: now + LIVE_RECORD_MS, data: live },
        });
        return { playerId: rec.playerId, resumeToken, x: px, y: py, resumed: true, refused: null, previous: rec };
      }
    }
    const playerId = claimed ?? newPlayerId();
    const token = newResumeToken();
    const p = claimed !== null ? await this.#readPlayer(playerId) : undefined;
    if (!p && admitNew && !admitNew()) return { playerId, resumeToken: '', x: null, y: null, resumed: false, refused, limited: true };
    const px = p && p.data.worldId === worldId ? finite(p.data.x) : null;
    const py = p && p.data.worldId === worldId ? finite(p.data.y) : null;
    const written = this.#queue({ kind: 'session', record: { token, playerId, worldId, expiresAt: now + LIVE_RECORD_MS, data: live } });
    if (!p) void this.#queue({ kind: 'player', id: playerId, name, data: { worldId, x, y } });
    await written; // one batch: the player write commits with it
    return { playerId, resumeToken: token, x: px, y: py, resumed: false, refused };
  }

  /**
   * A resolved hello went no further (socket gone, world deleted, maintenance, join buffer full):
   * a fresh player's record is dropped (the client never got its token, or a connect/hello/close
   * loop leaves a record per hello for 24 hours); a resumed one is put back as it was before the
   * hello (parked: resumable until its expiry, not `live` for 24 hours).
   */
  abandon(r: ResolvedPlayer): void {
    if (r.limited) return;
    if (r.previous) void this.#queue({ kind: 'session', record: r.previous });
    else if (!r.resumed) this.drop(r.resumeToken);
  }

  /** The store's record of `token` as this process last wrote it (committed or not). */
  async #readSession(token: string): Promise<SessionRecord | undefined> {
    const stored = await this.#store.getSession(token, 0);
    // Read after the store: a write still in the overlay is as new as, or newer than, what the store answered.
    const op = this.#unsettledSessions.get(token);
    if (!op) return stored;
    return op.kind === 'session' ? op.record : undefined;
  }

  /** The player record as this process last wrote it (committed or not); `data` only is trusted of an unsettled write. */
  async #readPlayer(id: string): Promise<{ data: Record<string, unknown> } | undefined> {
    const stored = await this.#store.getPlayer(id);
    const op = this.#unsettledPlayers.get(id);
    return op?.kind === 'player' ? { data: op.data ?? {} } : stored;
  }

  /**
   * This process took world `worldId` over from another instance (migration, failover): records
   * live on the previous owner are resumable until the grace period after now.
   */
  worldAdopted(worldId: string): void {
    const now = this.#now();
    for (const [id, at] of this.#adoptedAt) if (now - at > this.#graceMs()) this.#adoptedAt.delete(id);
    this.#adoptedAt.set(worldId, now);
  }

  /** World `worldId` was deleted: its resume tokens end with it (a recreated world resumes nobody). */
  forgetWorld(worldId: string): void {
    this.#adoptedAt.delete(worldId);
    this.#flush();
    this.#then(() => this.#store.deleteWorldSessions(worldId));
  }

  /**
   * The session was parked (socket closed): resumable for the grace period from now. At shutdown
   * (`liveAtShutdown`) the record stays `live`, so the next process counts the grace from its start.
   */
  park(token: string, playerId: string, worldId: string, name: string, x: number, y: number, liveAtShutdown = false): void {
    const now = this.#now();
    const rec = liveAtShutdown
      ? { token, playerId, worldId, expiresAt: now + LIVE_RECORD_MS, data: { live: true, boot: this.boot, name } }
      : { token, playerId, worldId, expiresAt: now + this.#graceMs(), data: { live: false, boot: this.boot, name } };
    void this.#queue({ kind: 'session', record: rec });
    this.savePosition(playerId, name, worldId, x, y);
  }

  /** The session ended for good (grace over, or no grace). */
  drop(token: string): void {
    void this.#queue({ kind: 'dropSession', token });
  }

  /**
   * Delete session records whose `expiresAt` passed (neither resumed nor dropped by this process:
   * parked or live under an earlier process) in a paced pass (src/net/session-sweep.ts: transactions
   * sized by the time budget of the controllers' mode, none in an emergency), then anonymous players
   * nobody can resume ({@link ANONYMOUS_PLAYER_IDLE_MS}; at most {@link ANONYMOUS_PRUNE_CHUNKS}
   * transactions of {@link ANONYMOUS_PRUNE_CHUNK}). Each transaction takes its turn in the queue
   * (`#turn`), a turn of the event loop between two: writes queued before it commit first; hellos'
   * lookups and writes go ahead between two (a write queued mid-sweep sets an expiry past the sweep's
   * `now` and freshens its player: later transactions leave it). One sweep at a time; called by the
   * registry's sweep about once a minute.
   */
  prune(): void {
    const now = this.#now();
    const before = now - ANONYMOUS_PLAYER_IDLE_MS;
    const sessions = (l: number): Promise<SweepTransaction> =>
      timedTransaction(
        (w) => this.#turn(w),
        () => this.#store.pruneSessions(now, l),
      );
    const players = (l: number): Promise<number> => this.#turn(() => this.#store.pruneAnonymousPlayers(before, l));
    const count = (n: number): number => (this.anonymousPlayersPruned += n);
    const reported = (err: unknown): void => {
      this.writeErrors++;
      this.#onError(err);
    };
    this.#sweep = this.#sweep
      .then(() => sweepExpiredSessions(sessions, this.#pace, (n) => (this.expiredSessionsSwept += n)))
      .then((pass) => void (pass.deferred && this.sessionSweepsDeferred++))
      .catch(reported)
      .then(() => pruneInChunks(players, ANONYMOUS_PRUNE_CHUNK, ANONYMOUS_PRUNE_CHUNKS, count))
      .then(() => undefined, reported);
  }

  /** Save a player's position (player record); resolves when committed, rejects when that failed. */
  savePosition(playerId: string, name: string, worldId: string, x: number, y: number): Promise<void> {
    return this.#queue({ kind: 'player', id: playerId, name, data: { worldId, x, y } });
  }

  /** Save many players' positions in one store transaction (one commit, not one per player); settles as {@link savePosition}. */
  savePositions(rows: ReadonlyArray<{ playerId: string; name: string; worldId: string; x: number; y: number }>): Promise<void> {
    let done: Promise<void> = Promise.resolve();
    for (const r of rows) done = this.savePosition(r.playerId, r.name, r.worldId, r.x, r.y);
    return done;
  }

  /**
   * Write-behind: joins, parks, drops and position saves wait for the end of the event-loop turn
   * and are committed together, in order, as one store transaction (`writeSessions`): on SQLite one
   * fsync on the event loop per turn instead of one per write (a mass disconnect of 400 players held
   * the loop 2.6 s; a hello flood of 81 joins/s, 52 ms median). Resolves when that transaction is
   * committed, rejects when it failed (a join waits for it before its welcome; the others do not).
   * Whole-table deletes and sweep transactions wait for the batches before them; `settled()` at stop.
   */
  #queue(op: SessionWrite): Promise<void> {
    if (this.#batch === null) {
      this.#batch = newBatch();
      setImmediate(() => this.#flush());
    }
    this.#pending.push(op);
    const key = sessionKey(op);
    if (key !== null) this.#unsettledSessions.set(key, op);
    else if (op.kind === 'player') this.#unsettledPlayers.set(op.id, op);
    return this.#batch.done;
  }

  /** Commit the waiting writes (one transaction), after every earlier write. */
  #flush(): void {
    const batch = this.#batch;
    if (batch === null) return;
    const ops = this.#pending;
    this.#pending = [];
    this.#batch = null;
    this.#chain = this.#chain
      .then(() => this.#store.writeSessions(ops))
      .then(
        () => {
          this.#settle(ops);
          batch.resolve();
        },
        (err: unknown) => {
          this.#settle(ops);
          this.writeErrors++;
          this.#onError(err);
          batch.reject(err);
        },
      );
  }

  /** The writes `ops` are committed or failed: reads ask the store again (unless a later write of the same key waits). */
  #settle(ops: readonly SessionWrite[]): void {
    for (const op of ops) {
      const key = sessionKey(op);
      if (key !== null) {
        if (this.#unsettledSessions.get(key) === op) this.#unsettledSessions.delete(key);
      } else if (op.kind === 'player' && this.#unsettledPlayers.get(op.id) === op) this.#unsettledPlayers.delete(op.id);
    }
  }

  /**
   * Run `write` in its turn of the queue — after every write queued so far (those waiting for the end
   * of the turn committed first), before any queued later — and resolve or reject with it (the
   * caller reports a failure; the queue goes on).
   */
  #turn<T>(write: () => Promise<T>): Promise<T> {
    this.#flush();
    const run = this.#chain.then(write);
    this.#chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Run `write` once every earlier write settled; a failure is counted and reported, never thrown. */
  #then(write: () => Promise<unknown>): void {
    this.#chain = this.#chain.then(write).then(
      () => undefined,
      (err: unknown) => {
        this.writeErrors++;
        this.#onError(err);
      },
    );
  }

  /**
   * Resolves once the sweep running and every write queued so far are done, and the writes the
   * commits brought about too (a join answered by a commit whose socket closed meanwhile queues its
   * record's drop): at stop, before the store closes; tests.
   */
  async settled(): Promise<void> {
    for (let round = 0; round < 8; round++) {
      const sweep = this.#sweep;
      await sweep;
      this.#flush();
      const chain = this.#chain;
      await chain;
      // The continuations of the joins just committed run before this.
      await new Promise<void>((r) => setImmediate(r));
      if (this.#batch === null && this.#chain === chain && this.#sweep === sweep) return;
    }
  }
}
