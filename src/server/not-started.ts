/**
 * Worlds this instance does not run, and why (docs/ADMIN.md "Worlds not started"): a stored world
 * whose checkpoint a newer build wrote (`WT_ERR_CHECKPOINT_TOO_NEW`), whose game data the game cannot
 * hold (`WT_ERR_CHECKPOINT_INCOMPATIBLE`) or whose record cannot run it (`WT_ERR_WORLD_RECORD_UNUSABLE`)
 * is left out at start (an admin world; the default world refuses the start instead, or is built
 * afresh over an unusable record), and in a cluster it is declined when handed or failed over here
 * (src/server/cluster-takeover.ts). One list per instance, owned by its cluster
 * service (it exists without `--redis` too), read by `GET /api/v1/worlds` (`notStarted`), the world
 * routes (409 for such a world instead of 404), `/metrics` and the dashboard.
 *
 * In a cluster an entry also stops this instance from trying the world again, until the world's
 * stored record changes ({@link NotStartedWorlds.expire}): the record is rewritten by whichever
 * instance owns and steps the world (every 10 steps, and with every checkpoint), so a change means
 * another build has run it since and its checkpoint may be another one; the entry is then dropped and
 * the world may be taken here again (and is declined again if its checkpoint is still too new). A
 * refusal by this instance writes nothing, so instances of the same build do not wake each other.
 */
import type { Registry } from 'prom-client';
import type { InterceptedRequest, RouteResponse } from '../admin/index.js';
import { createMetricKit } from '../admin/metrics-kit.js';
import { ErrorCode, type WorldtickError } from '../errors.js';

/** Why a stored world is not started here. */
export type NotStartedReason = 'checkpoint-too-new' | 'game-incompatible' | 'record-unusable';

/** The reason of a refusal (`err`: one `isNotLoadableHere` accepts). */
export const notStartedReason = (err: WorldtickError): NotStartedReason =>
  err.code === ErrorCode.CHECKPOINT_INCOMPATIBLE
    ? 'game-incompatible'
    : err.code === ErrorCode.WORLD_RECORD_UNUSABLE
      ? 'record-unusable'
      : 'checkpoint-too-new';

/** One world not started here. */
export interface NotStartedWorld {
  readonly worldId: string;
  /**
   * Why: `checkpoint-too-new` (a newer build wrote its checkpoint), `game-incompatible` (its
   * checkpoint holds game data this version of the game cannot hold: `WT_ERR_CHECKPOINT_INCOMPATIBLE`,
   * `problems`), or `record-unusable` (its stored record can neither restore nor build it, a damaged
   * row: `WT_ERR_WORLD_RECORD_UNUSABLE`, `problem`).
   */
  readonly reason: NotStartedReason;
  /** `game-incompatible`: what the game's definition cannot hold (docs/GAME-API.md "Shipping a new version of your game"). */
  readonly problems?: readonly string[];
  /** `record-unusable`: what is wrong with the record. */
  readonly problem?: string;
  /** When it was refused: at `start` (restore), or taking it over (`failover`, `migration`: handed here). */
  readonly at: 'start' | 'failover' | 'migration';
  /** The refused checkpoint: `what` (`schema` or `format`), the version `found` and the newest this build `known`s, its `step`. */
  readonly checkpoint: { what: string | null; found: number | null; known: number | null; step: number | null };
  /** Wall epoch ms of the refusal. */
  readonly sinceMs: number;
}

/** A stored world's record as listed (`listWorldConfigs`): its id and when it was last written (wall ms; null: unknown). */
export interface StoredWorldStamp {
  readonly worldId: string;
  readonly updatedAt: number | null;
  /** The record is of an admin create never confirmed (`pending`: src/server/unconfirmed-create.ts), when the listing says. */
  readonly pending?: true;
}

/** The list of one instance. */
export interface NotStartedWorlds {
  /**
   * Remember `worldId` as refused (`err`: `WT_ERR_CHECKPOINT_TOO_NEW`, `WT_ERR_CHECKPOINT_INCOMPATIBLE` or `WT_ERR_WORLD_RECORD_UNUSABLE`, its details). `recordUpdatedAt`:
   * the stored record's stamp when refused (null: taken from the next {@link expire} listing).
   */
  add(worldId: string, err: WorldtickError, at: NotStartedWorld['at'], recordUpdatedAt?: number | null): void;
  has(worldId: string): boolean;
  get(worldId: string): NotStartedWorld | undefined;
  /** Forget `worldId` (it runs here now). */
  delete(worldId: string): void;
  /** Every entry, by world id. */
  list(): NotStartedWorld[];
  /**
   * Drop the entries whose world's stored record changed since the refusal, or is gone (`stored`: every
   * stored world with its record's stamp); resolves the ids dropped. Entries without a stamp take it now.
   */
  expire(stored: readonly StoredWorldStamp[]): string[];
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** An empty list. */
export const createNotStartedWorlds = (): NotStartedWorlds => {
  const entries = new Map<string, { world: NotStartedWorld; stamp: number | null }>();
  return {
    add(worldId, err, at, recordUpdatedAt = null) {
      const d = (err.details ?? {}) as Record<string, unknown>;
      const reason = notStartedReason(err);
      const world: NotStartedWorld = {
        worldId,
        reason,
        ...(reason === 'game-incompatible' && Array.isArray(d.problems) ? { problems: d.problems.map(String) } : {}),
        ...(reason === 'record-unusable' ? { problem: String(d.problem ?? err.message) } : {}),
        at,
        checkpoint: { what: typeof d.what === 'string' ? d.what : null, found: num(d.found), known: num(d.known), step: num(d.step) },
        sinceMs: Date.now(),
      };
      entries.set(worldId, { world, stamp: recordUpdatedAt });
    },
    has: (worldId) => entries.has(worldId),
    get: (worldId) => entries.get(worldId)?.world,
    delete(worldId) {
      entries.delete(worldId);
    },
    list: () => [...entries.values()].map((e) => e.world).sort((a, b) => (a.worldId < b.worldId ? -1 : a.worldId > b.worldId ? 1 : 0)),
    expire(stored) {
      if (!entries.size) return [];
      const byId = new Map(stored.map((s) => [s.worldId, s.updatedAt]));
      const dropped: string[] = [];
      for (const [id, e] of entries) {
        if (!byId.has(id)) {
          entries.delete(id); // deleted from the store: nothing left to refuse
          dropped.push(id);
          continue;
        }
        const stamp = byId.get(id) ?? null;
        if (stamp === null) continue;
        if (e.stamp === null) e.stamp = stamp;
        else if (e.stamp !== stamp) {
          entries.delete(id);
          dropped.push(id);
        }
      }
      return dropped;
    },
  };
};

/** The owner of a world, by instance id (null: none known). */
type OwnerOf = (worldId: string) => string | null;

/**
 * `notStarted` of `GET /api/v1/worlds`: the list, each with the world's owner elsewhere when one is known — never
 * `self`, which runs none of them (it holds a declined world's lease until its release is answered: a listing in
 * that window named this instance).
 */
export const notStartedJson = (list: NotStartedWorlds, ownerOf: OwnerOf, self: string | null = null) =>
  list.list().map((w) => {
    const owner = ownerOf(w.worldId);
    return { ...w, owner: owner === self ? null : owner };
  });

/** `GET /api/v1/worlds`'s answer with `notStarted` added (each with its owner elsewhere, if any: {@link notStartedJson}). */
export const withNotStarted = (res: RouteResponse, list: NotStartedWorlds, ownerOf: OwnerOf, self: string | null = null): RouteResponse =>
  res.status === undefined || res.status === 200
    ? { ...res, json: { ...(res.json as object), notStarted: notStartedJson(list, ownerOf, self) } }
    : res;

/**
 * The admin answer for a request about a world not started here, or null: a create of its id is
 * refused (409 `WT_ERR_WORLD_EXISTS`: it would write a fresh record over the newer build's), and
 * `/api/v1/worlds/{id}/…` answers 409 `WT_ERR_CHECKPOINT_TOO_NEW` with the entry instead of 404.
 * `hasWorld`: the world runs here (then nothing is refused).
 */
export const notStartedGate = (
  list: NotStartedWorlds,
  hasWorld: (worldId: string) => boolean,
  req: InterceptedRequest,
): RouteResponse | null => {
  if (req.pattern === '/api/v1/worlds' && req.method === 'POST') {
    const id = (req.body as { id?: unknown } | undefined)?.id;
    const w = typeof id === 'string' && !hasWorld(id) ? list.get(id) : undefined;
    if (!w) return null;
    return {
      status: 409,
      json: {
        code: ErrorCode.WORLD_EXISTS,
        message: `world ${JSON.stringify(w.worldId)} is stored and not started on this instance (${NOT_STARTED_WHY[w.reason]}): a create would write over it`,
        details: { worldId: w.worldId, notStarted: w },
      },
    };
  }
  if (!req.pattern.startsWith('/api/v1/worlds/:id')) return null;
  const id = req.params.id ?? '';
  return hasWorld(id) ? null : notStartedRefusal(list, id);
};

/** Why, in a few words, by reason (the create refusal's message). */
const NOT_STARTED_WHY: Record<NotStartedReason, string> = {
  'checkpoint-too-new': 'a newer build wrote its checkpoint',
  'game-incompatible': 'its checkpoint holds game data this version of the game cannot hold',
  'record-unusable': 'its stored record cannot be used',
};

/**
 * The answer to a request for a world not started here (409 `WT_ERR_CHECKPOINT_TOO_NEW`, `WT_ERR_CHECKPOINT_INCOMPATIBLE`
 * or `WT_ERR_WORLD_RECORD_UNUSABLE`), or null when it is not one.
 */
export const notStartedRefusal = (list: NotStartedWorlds, worldId: string): RouteResponse | null => {
  const w = list.get(worldId);
  if (!w) return null;
  const { code, why } = REFUSAL[w.reason](w);
  return { status: 409, json: { code, message: `world ${worldId} is not started on this instance: ${why}`, details: w } };
};

/** Each reason's error code and what its refusal says after `world <id> is not started on this instance:`. */
const REFUSAL: Record<NotStartedReason, (w: NotStartedWorld) => { code: string; why: string }> = {
  'checkpoint-too-new': ({ checkpoint: c }) => ({
    code: ErrorCode.CHECKPOINT_TOO_NEW,
    why:
      `a newer build wrote its checkpoint (snapshot ${c.what ?? 'schema'} ${c.found ?? '?'}; this build knows up to ` +
      `${c.known ?? '?'}); run a build that knows it`,
  }),
  'game-incompatible': (w) => ({
    code: ErrorCode.CHECKPOINT_INCOMPATIBLE,
    why:
      `its checkpoint holds game data this version of the game cannot hold (${(w.problems ?? []).join('; ')}); ` +
      'run the version that wrote it, or change the definition',
  }),
  'record-unusable': (w) => ({
    code: ErrorCode.WORLD_RECORD_UNUSABLE,
    why: `its stored record cannot be used (${w.problem ?? 'damaged'}); mend the record or restore the store from a backup, then restart`,
  }),
};

/** `worldtick_world_not_started{world, reason}`: 1 per world not started here. */
export const registerNotStartedMetrics = (registry: Registry, list: NotStartedWorlds): void => {
  const { gauge } = createMetricKit(registry, () => []);
  gauge(
    'worldtick_world_not_started',
    'Stored worlds this instance does not run (1), by world and reason (checkpoint-too-new: a newer build wrote the checkpoint; game-incompatible: its game data does not fit this version of the game; record-unusable: its stored record is damaged).',
    ['world', 'reason'],
    (put) => {
      for (const w of list.list()) put({ world: w.worldId, reason: w.reason }, 1);
    },
  );
};
