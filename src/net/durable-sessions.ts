/**
 * Durable player identity and session records (docs/DURABILITY.md, "Players and sessions").
 *
 * Player id (the ledger's `playerId`, stable across sessions and restarts):
 *   - hello `token` given  → `t:` + first 32 hex of sha256(token): the same token is the same player;
 *   - no token             → `g:` + 24 random base64url characters, generated at the first join
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
import type { SessionWrite, Store } from '../store/types.js';

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
}

/** Player id of an auth token (`t:` + 32 hex of its sha256). */
export const playerIdOfToken = (token: string): string => `t:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;

/**
 * Player id of an identity accepted by the game's `authenticate` hook (`a:` + 32 hex of its
 * sha256): its own namespace, so an authenticated identity never shares a row with a raw token.
 */
export const playerIdOfIdentity = (identity: string): string => `a:${createHash('sha256').update(identity).digest('hex').slice(0, 32)}`;

/** What a resume token this server issued looks like (base64url); anything else is unknown. */
const RESUME_TOKEN_RE = /^[A-Za-z0-9_-]{1,256}$/;

/** A fresh resume token. */
export const newResumeToken = (): string => randomBytes(18).toString('base64url');

/** A fresh generated player id (`g:` + 24 base64url characters). */
export const newPlayerId = (): string => `g:${randomBytes(18).toString('base64url')}`;

/** Player id for a fresh join. */
export const freshPlayerId = (helloToken: string): string => (helloToken ? playerIdOfToken(helloToken) : newPlayerId());

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Durable sessions over a store. A class: it holds the boot id and the store handle. */
export class DurableSessions {
  readonly boot = randomBytes(9).toString('base64url');
  readonly startedAt: number;
  readonly #store: Store;
  readonly #graceMs: () => number;
  readonly #now: () => number;
  /** Failed writes (logged by the caller's error hook). */
  writeErrors = 0;
  readonly #onError: (err: unknown) => void;
  /** Writes waiting for the end of the turn ({@link DurableSessions.settled}). */
  #pending: SessionWrite[] = [];
  /** Every write-behind batch and whole-table delete, in order. */
  #chain: Promise<void> = Promise.resolve();
  /** Wall ms when this process took each world over from another instance (cluster). */
  readonly #adoptedAt = new Map<string, number>();

  constructor(store: Store, graceSeconds: () => number, onError: (err: unknown) => void, now: () => number = Date.now) {
    this.#store = store;
    this.#graceMs = () => graceSeconds() * 1000;
    this.#now = now;
    this.startedAt = now();
    this.#onError = onError;
  }

  /**
   * Resolve a hello: resume a durable record (same world, same token identity, not expired), or
   * a fresh player (with the refusal reason when a resume token was presented). Writes the
   * record as live before resolving, so the welcome's token is durable. `authPlayerId`: the player
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
    // Reads see every write queued before (a park or drop of this token waiting for its turn).
    await this.settled();
    const now = this.#now();
    const claimed = authPlayerId ?? (helloToken ? playerIdOfToken(helloToken) : null);
    let refused: string | null = null;
    // Not of the form this server issues (newResumeToken: base64url): unknown, without a store read
    // (a NUL in it made PostgreSQL fail the query, and the client was told the store was unavailable).
    if (resumeToken && !RESUME_TOKEN_RE.test(resumeToken)) refused = 'unknown resume token';
    else if (resumeToken) {
      const rec = await this.#store.getSession(resumeToken, 0);
      const liveElsewhere = rec?.data.live === true && rec.data.boot !== this.boot;
      const since = Math.max(this.startedAt, this.#adoptedAt.get(worldId) ?? 0);
      const expiresAt = rec ? (liveElsewhere ? Math.min(rec.expiresAt, since + this.#graceMs()) : rec.expiresAt) : 0;
      if (!rec) refused = 'unknown resume token';
      else if (rec.worldId !== worldId) refused = 'resume token belongs to another world';
      else if (now > expiresAt) refused = 'resume token expired';
      else if (claimed !== null && claimed !== rec.playerId) refused = 'resume token belongs to another player';
      else {
        const p = await this.#store.getPlayer(rec.playerId);
        const px = finite(p?.data.x),
          py = finite(p?.data.y);
        await this.#store.putSession({
          token: resumeToken,
          playerId: rec.playerId,
          worldId,
          expiresAt: now + LIVE_RECORD_MS,
          data: { live: true, boot: this.boot, name },
        });
        return { playerId: rec.playerId, resumeToken, x: px, y: py, resumed: true, refused: null };
      }
    }
    const playerId = claimed ?? newPlayerId();
    const token = newResumeToken();
    const p = claimed !== null ? await this.#store.getPlayer(playerId) : undefined;
    if (!p && admitNew && !admitNew()) return { playerId, resumeToken: '', x: null, y: null, resumed: false, refused, limited: true };
    const px = p && p.data.worldId === worldId ? finite(p.data.x) : null;
    const py = p && p.data.worldId === worldId ? finite(p.data.y) : null;
    await this.#store.putSession({
      token,
      playerId,
      worldId,
      expiresAt: now + LIVE_RECORD_MS,
      data: { live: true, boot: this.boot, name },
    });
    if (!p) await this.#store.putPlayer({ id: playerId, name, data: { worldId, x, y } });
    return { playerId, resumeToken: token, x: px, y: py, resumed: false, refused };
  }

  /**
   * This process took world `worldId` over from another instance (migration, failover): records
   * live on the previous owner are resumable until the grace period after now.
   */
  worldAdopted(worldId: string): void {
    this.#adoptedAt.set(worldId, this.#now());
  }

  /** World `worldId` was deleted: its resume tokens end with it (a recreated world resumes nobody). */
  forgetWorld(worldId: string): void {
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
    this.#queue({ kind: 'session', record: rec });
    this.savePosition(playerId, name, worldId, x, y);
  }

  /** The session ended for good (grace over, or no grace). */
  drop(token: string): void {
    this.#queue({ kind: 'dropSession', token });
  }

  /**
   * Delete session records whose `expiresAt` passed (records of sessions neither resumed nor
   * dropped by this process: parked or live under an earlier process, never resumed). Called by
   * the registry's sweep about once a minute.
   */
  prune(): void {
    this.#flush();
    const now = this.#now();
    this.#then(() => this.#store.pruneSessions(now));
  }

  /** Save a player's position (player record). */
  savePosition(playerId: string, name: string, worldId: string, x: number, y: number): void {
    this.#queue({ kind: 'player', id: playerId, name, data: { worldId, x, y } });
  }

  /**
   * Save many players' positions in one store transaction (the periodic save of every live
   * player): one commit instead of one per player, which on SQLite is one fsync on the event loop.
   */
  savePositions(rows: ReadonlyArray<{ playerId: string; name: string; worldId: string; x: number; y: number }>): void {
    for (const r of rows) this.savePosition(r.playerId, r.name, r.worldId, r.x, r.y);
  }

  /**
   * Write-behind: parks, drops and position saves wait for the end of the event-loop turn and are
   * committed together, in order, as one store transaction (`writeSessions`): on SQLite one fsync
   * on the event loop per turn instead of one per write (a mass disconnect of 400 players held the
   * loop 2.6 s). Reads (`resolve`) and the whole-table deletes wait for them; `settled()` at stop.
   */
  #queue(op: SessionWrite): void {
    if (this.#pending.length === 0) setImmediate(() => this.#flush());
    this.#pending.push(op);
  }

  /** Commit the waiting writes (one transaction), after every earlier write. */
  #flush(): void {
    if (this.#pending.length === 0) return;
    const ops = this.#pending;
    this.#pending = [];
    this.#then(() => this.#store.writeSessions(ops));
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

  /** Resolves once every write queued so far is committed or failed (before a read; at stop). */
  settled(): Promise<void> {
    this.#flush();
    return this.#chain;
  }
}
