/**
 * The stable error codes of every {@link WorldtickError} (src/errors.ts, which re-exports them with
 * the error class and its constructors). A new code is appended at the END of the list: never
 * renumber, rename or reorder — clients, dashboards and tests depend on them.
 */

/** Stable error codes. Never renumber or rename: clients, dashboards and tests depend on them. */
export const ErrorCode = {
  CONFIG_INVALID: 'WT_ERR_CONFIG_INVALID',
  OPTION_INVALID: 'WT_ERR_OPTION_INVALID',
  CAPACITY_EXCEEDED: 'WT_ERR_CAPACITY_EXCEEDED',
  ENTITY_NOT_FOUND: 'WT_ERR_ENTITY_NOT_FOUND',
  WORLD_NOT_FOUND: 'WT_ERR_WORLD_NOT_FOUND',
  WORLD_EXISTS: 'WT_ERR_WORLD_EXISTS',
  WORLD_NOT_PAUSED: 'WT_ERR_WORLD_NOT_PAUSED',
  /** The world is faulted (a system threw): a forced step is refused (admin API 409); `resume` clears the fault. */
  WORLD_FAULTED: 'WT_ERR_WORLD_FAULTED',
  SYSTEM_FAILED: 'WT_ERR_SYSTEM_FAILED',
  QUEUE_FULL: 'WT_ERR_QUEUE_FULL',
  JOB_FAILED: 'WT_ERR_JOB_FAILED',
  JOB_TIMEOUT: 'WT_ERR_JOB_TIMEOUT',
  JOB_UNKNOWN: 'WT_ERR_JOB_UNKNOWN',
  ADMIN_UNAUTHORIZED: 'WT_ERR_ADMIN_UNAUTHORIZED',
  ADMIN_BAD_REQUEST: 'WT_ERR_ADMIN_BAD_REQUEST',
  ADMIN_ROUTE_NOT_FOUND: 'WT_ERR_ADMIN_ROUTE_NOT_FOUND',
  ADMIN_METHOD_NOT_ALLOWED: 'WT_ERR_ADMIN_METHOD_NOT_ALLOWED',
  ADMIN_BODY_TOO_LARGE: 'WT_ERR_ADMIN_BODY_TOO_LARGE',
  ADMIN_UNSUPPORTED_MEDIA_TYPE: 'WT_ERR_ADMIN_UNSUPPORTED_MEDIA_TYPE',
  ADMIN_CONFLICT: 'WT_ERR_ADMIN_CONFLICT',
  ADMIN_INTERNAL: 'WT_ERR_ADMIN_INTERNAL',
  NATIVE_MISSING: 'WT_ERR_NATIVE_MISSING',
  PORT_IN_USE: 'WT_ERR_PORT_IN_USE',
  /**
   * Reserved, never thrown: a bad client message is answered on the wire (`error` with code
   * `BAD_FRAME` / `BAD_FIELD`, a strike; docs/PROTOCOL.md), not with an exception.
   */
  PROTOCOL_BAD_MESSAGE: 'WT_ERR_PROTOCOL_BAD_MESSAGE',
  INGEST_UNKNOWN_TYPE: 'WT_ERR_INGEST_UNKNOWN_TYPE',
  INGEST_TYPE_EXISTS: 'WT_ERR_INGEST_TYPE_EXISTS',
  INGEST_BAD_FACT: 'WT_ERR_INGEST_BAD_FACT',
  INGEST_CRITICAL_FULL: 'WT_ERR_INGEST_CRITICAL_FULL',
  JOB_EXISTS: 'WT_ERR_JOB_EXISTS',
  /** A job submitted to a closed job queue (its world was destroyed): not queued, counted `rejected`. */
  JOB_REJECTED: 'WT_ERR_JOB_REJECTED',
  TASK_EXISTS: 'WT_ERR_TASK_EXISTS',
  TASK_UNKNOWN: 'WT_ERR_TASK_UNKNOWN',
  BEHAVIOR_INVALID: 'WT_ERR_BEHAVIOR_INVALID',
  /** A worker-pool task was aborted (job timeout or caller's signal). */
  TASK_ABORTED: 'WT_ERR_TASK_ABORTED',
  /** A worker-pool task threw, or its worker thread crashed. */
  WORKER_FAILED: 'WT_ERR_WORKER_FAILED',
  /** The worker pool is closed (shutdown). */
  POOL_CLOSED: 'WT_ERR_POOL_CLOSED',
  /** The durable store cannot be reached or cannot write (disk full, read-only, server down). Retryable. */
  STORE_UNAVAILABLE: 'WT_ERR_STORE_UNAVAILABLE',
  /** A durable write carried a fencing token lower than one the store has already seen for that world. */
  STORE_FENCED: 'WT_ERR_STORE_FENCED',
  /** The store's schema could not be migrated (or is newer than this build). */
  STORE_MIGRATION_FAILED: 'WT_ERR_STORE_MIGRATION_FAILED',
  /** The store was closed. */
  STORE_CLOSED: 'WT_ERR_STORE_CLOSED',
  /** An item catalogue was refused; `problems` lists every bad field by path. */
  CATALOGUE_INVALID: 'WT_ERR_CATALOGUE_INVALID',
  /**
   * Reserved, never thrown: a closed ledger service commits what was queued and answers every later
   * purchase or reward with the result `TX_UNAVAILABLE` (retryable by the same key, e.g. at the new
   * owner after a migration), not with an exception.
   */
  LEDGER_CLOSED: 'WT_ERR_LEDGER_CLOSED',
  /** The coordination backend (Redis) did not answer in time or refused the command. */
  CLUSTER_UNAVAILABLE: 'WT_ERR_CLUSTER_UNAVAILABLE',
  /** A cluster message was not a JSON object with a string `type`, or was too large. */
  CLUSTER_MESSAGE_INVALID: 'WT_ERR_CLUSTER_MESSAGE_INVALID',
  /** The coordinator was closed. */
  COORDINATOR_CLOSED: 'WT_ERR_COORDINATOR_CLOSED',
  /** A redirect ticket is malformed or its signature does not match. */
  TICKET_INVALID: 'WT_ERR_TICKET_INVALID',
  /** A redirect ticket's `expiresAt` has passed. */
  TICKET_EXPIRED: 'WT_ERR_TICKET_EXPIRED',
  /** One setting given twice in a scheduler-config body (flat key and `simulation.` key); `details.keys` lists them. */
  CONFIG_KEY_CONFLICT: 'WT_ERR_CONFIG_KEY_CONFLICT',
  /** A PUT carried a `configVersion` that is no longer current (optimistic concurrency). */
  CONFIG_VERSION_STALE: 'WT_ERR_CONFIG_VERSION_STALE',
  /** A periodic task built into the runtime cannot be removed through the admin API. */
  TASK_BUILTIN: 'WT_ERR_TASK_BUILTIN',
  /** A physics/AI shard worker crashed; its partition was re-run (src/shards). */
  SHARD_CRASHED: 'WT_ERR_SHARD_CRASHED',
  /** A shard worker missed the step barrier's deadline; its partition was re-run (src/shards). */
  SHARD_TIMEOUT: 'WT_ERR_SHARD_TIMEOUT',
  /** A stored world checkpoint could not be read (corrupt, truncated, another format version). */
  CHECKPOINT_CORRUPT: 'WT_ERR_CHECKPOINT_CORRUPT',
  /** A tier zone definition was refused (every problem listed). */
  TIER_ZONE_INVALID: 'WT_ERR_TIER_ZONE_INVALID',
  /** No tier zone with that id. */
  TIER_ZONE_NOT_FOUND: 'WT_ERR_TIER_ZONE_NOT_FOUND',
  /** A tier pin request was refused (bad tier or duration). */
  TIER_PIN_INVALID: 'WT_ERR_TIER_PIN_INVALID',
  /** The entity is not a live NPC (pins apply to NPCs only). */
  NPC_NOT_FOUND: 'WT_ERR_NPC_NOT_FOUND',
  /** An input log (src/replay) could not be read: not a log, or an unsupported version. */
  REPLAY_LOG_INVALID: 'WT_ERR_REPLAY_LOG_INVALID',
  /** A world could not be migrated (not owned here, unknown target, checkpoint or handover failed). */
  MIGRATION_FAILED: 'WT_ERR_MIGRATION_FAILED',
  /** The starting checkpoint an input log references (its world did not start from its seed) is missing or unreadable. */
  REPLAY_CHECKPOINT_MISSING: 'WT_ERR_REPLAY_CHECKPOINT_MISSING',
  /** The starting checkpoint an input log references does not match the content hash (sha256) the log holds. */
  REPLAY_CHECKPOINT_MISMATCH: 'WT_ERR_REPLAY_CHECKPOINT_MISMATCH',
  /** Recording cannot start now (e.g. on a running world with scene jobs in flight: their state is not in a checkpoint). */
  RECORD_START_REFUSED: 'WT_ERR_RECORD_START_REFUSED',
  /**
   * Cluster mode: a world created through the admin API could not be made durable in time (its
   * lease acquired, the fencing token announced to the store, its record written); nothing of it
   * was kept. Admin API 503; retry.
   */
  WORLD_NOT_DURABLE: 'WT_ERR_WORLD_NOT_DURABLE',
  /**
   * A game's server → client message was refused when sent (src/game/server-messages.ts): a name the
   * game does not define, a bad target, or a payload off its schema, not plain values, or over its
   * `maxBytes`. Nothing was queued; counted `refused`.
   */
  GAME_MESSAGE_INVALID: 'WT_ERR_GAME_MESSAGE_INVALID',
  /**
   * A player-data call was refused before anything was queued (docs/GAME-API.md "Player data"): a bad
   * key, a value that is not plain JSON data or is larger than the per-value limit, a bad version or
   * player id. A bug in the game, thrown synchronously; `details.problems` lists every problem.
   */
  PLAYER_DATA_INVALID: 'WT_ERR_PLAYER_DATA_INVALID',
  /**
   * A game timer call was refused (`setWorldTimer` / `clearWorldTimer`, docs/GAME-API.md "Timers"):
   * no game, an unknown or repeating handler name, a bad delay, a payload that is not plain JSON
   * data or too large. Nothing was scheduled; `details.problem` says which.
   */
  TIMER_INVALID: 'WT_ERR_TIMER_INVALID',
  /** A world already holds its most pending one-shot timers (`MAX_PENDING_TIMERS`, `details.limit` `count`) or payload bytes (`MAX_PENDING_TIMER_BYTES`, `bytes`); nothing was scheduled. */
  TIMER_LIMIT: 'WT_ERR_TIMER_LIMIT',
  /** Admin: a player's key holds no value (never written, or deleted: `details.version` says which). 404. */
  PLAYER_DATA_NOT_FOUND: 'WT_ERR_PLAYER_DATA_NOT_FOUND',
  /** Admin: the key's stored value is not JSON (a damaged row; `details.version`: the stored one). 409. */
  PLAYER_DATA_UNREADABLE: 'WT_ERR_PLAYER_DATA_UNREADABLE',
  /** Admin: player data cannot be read or written now (no store, closing, queue full, store down past the deadline; `details.reason`). 503. */
  PLAYER_DATA_UNAVAILABLE: 'WT_ERR_PLAYER_DATA_UNAVAILABLE',
  /** A checkpoint could not be written: its header would pass the readable bound (`details.bytes`, `details.max`); counted as a failed checkpoint. */
  CHECKPOINT_TOO_LARGE: 'WT_ERR_CHECKPOINT_TOO_LARGE',
  /**
   * A game fact was refused by `deliverToWorld` (docs/GAME-API.md "Facts"): no game, a name the game
   * does not declare in `facts`, a payload that is not plain JSON data or larger than the fact's
   * `maxBytes`. A bug in the game, thrown synchronously; nothing was queued (counted `invalid`).
   */
  GAME_FACT_INVALID: 'WT_ERR_GAME_FACT_INVALID',
  /**
   * Cluster: an instance refused to adopt a world handed to it (`POST /api/v1/cluster/adopt`)
   * because it is draining or stopping (`details.reason`); it handed the lease back to the sender
   * when it could (`details.returned`), and the world steps on there. Admin API 409; counted `adoptRefusals`.
   */
  MIGRATION_REFUSED: 'WT_ERR_MIGRATION_REFUSED',
  /**
   * A stored checkpoint was written by a newer build: its snapshot schema or container format
   * (`details.what`) is `details.found`, this build knows up to `details.known`. Nothing of it was
   * applied; the world is not loaded by this build (no fallback to an older checkpoint, no rebuild
   * from its record): run a build that knows it (docs/DURABILITY.md "Upgrading (operators)").
   */
  CHECKPOINT_TOO_NEW: 'WT_ERR_CHECKPOINT_TOO_NEW',
  /**
   * The embedded SQLite store is being replaced by `npm run restore` (its marker
   * `worldtick.sqlite.restoring` exists; `details.marker`, `details.stale` when its pid is not
   * running here), or its file was replaced while it was opened. Nothing was written to it; the
   * server exits 2 (docs/DURABILITY.md "Backup and restore (operators)").
   */
  STORE_RESTORING: 'WT_ERR_STORE_RESTORING',
  /**
   * Client library: a wait for a server answer (`join`, `purchase`, `ping`, `waitFor`, ...) ended
   * because its socket closed (`details.closeCode`, `details.closeReason`; the server died, ended the
   * session, or `close()` was called). Reconnect and retry (a purchase with the same key).
   */
  CLIENT_CLOSED: 'WT_ERR_CLIENT_CLOSED',
  /** Client library: a wait for a server answer ran out its `timeoutMs` (`details.timeoutMs`) on an open socket. */
  CLIENT_TIMEOUT: 'WT_ERR_CLIENT_TIMEOUT',
  /**
   * A stored checkpoint holds game data the game's definition cannot take without losing it: a
   * component field whose type changed to one that cannot hold a member entity's value, a world of
   * another game (its `name`), or of a higher `version` of this one (`details.problems` lists each,
   * e.g. `Health.hp: type u16 → u8, ...`). Nothing of it was applied;
   * like `CHECKPOINT_TOO_NEW` the world is not loaded (no fallback to an older checkpoint, no rebuild
   * from its record): run the game version that wrote it, or change the definition (docs/GAME-API.md
   * "Shipping a new version of your game").
   */
  CHECKPOINT_INCOMPATIBLE: 'WT_ERR_CHECKPOINT_INCOMPATIBLE',
  /**
   * A call of the in-process worlds API (`server.worlds`, `serverWorlds(world)`: docs/GAME-API.md
   * "Creating and ending worlds") when no running server can answer it: before `start` completed,
   * once `stop` began, or for a world no server serves (built with `createGameWorld` alone, a replay).
   */
  SERVER_NOT_RUNNING: 'WT_ERR_SERVER_NOT_RUNNING',
  /**
   * Another instance of the cluster refused this instance's admin token (401): the instances run with
   * different admin tokens (a rotation half done, docs/ADMIN.md "Rotating the admin token"). A request
   * forwarded to a world's owner answers 502 with it; a migration to such a target is refused before
   * anything moves.
   */
  CLUSTER_TOKEN_MISMATCH: 'WT_ERR_CLUSTER_TOKEN_MISMATCH',
  /**
   * Client library: the server refused a `join`'s hello with an `error` frame (`details.wireCode`:
   * `UNKNOWN_WORLD`, `WORLD_FULL`, `MAINTENANCE`, `AUTH_REFUSED`...; `details.message`: its text), or
   * it redirected more than `maxRedirects` times (`details.wireCode` null). Message `hello refused: ...`.
   */
  CLIENT_JOIN_REFUSED: 'WT_ERR_CLIENT_JOIN_REFUSED',
  /**
   * `kickPlayer`: the player's session is already ending — its socket closed (the player is parked
   * for resume, or waiting for its removal) or it was kicked already. Nothing changed.
   */
  PLAYER_LEAVING: 'WT_ERR_PLAYER_LEAVING',
  /** Admin API kick: no connected player with that durable player id in the world (404). */
  PLAYER_NOT_CONNECTED: 'WT_ERR_PLAYER_NOT_CONNECTED',
  /**
   * Another server holds the SQLite data directory's lock (`<data-dir>/worldtick.lock`, taken before
   * the store opens, src/server/data-dir-lock.ts): the start is refused, nothing is opened or written,
   * and the server exits 2. Stop the other server or give this one its own `--data-dir`.
   */
  DATA_DIR_IN_USE: 'WT_ERR_DATA_DIR_IN_USE',
  /**
   * Another server without `--redis` holds the single-instance lock of the PostgreSQL database (a
   * session-level advisory lock taken before the store opens, src/server/pg-store-lock.ts): the start
   * is refused, nothing is opened or written, and the server exits 2. The message names the database
   * (host:port/database, never the password). Stop the other server, or run every server of the
   * database with `--redis` as one cluster.
   */
  STORE_IN_USE: 'WT_ERR_STORE_IN_USE',
  /**
   * `setWorldData` was refused: the world has no game, or the value is not plain JSON data (null,
   * booleans, finite numbers, strings, arrays, plain objects; at most 32 levels deep; no `"__proto__"`
   * key). `details.problem` says which. The world's data is unchanged.
   */
  WORLD_DATA_INVALID: 'WT_ERR_WORLD_DATA_INVALID',
  /**
   * `setWorldData` was refused: the value's JSON text is over `MAX_WORLD_DATA_BYTES` (64 KiB) of UTF-8
   * (`details.max`; `details.bytes` when measured). The world's data is unchanged.
   */
  WORLD_DATA_TOO_LARGE: 'WT_ERR_WORLD_DATA_TOO_LARGE',
  /**
   * `npm run store-copy`: the target PostgreSQL database already holds worldtick data (a row in any
   * store table; `details.rows` by table), or the target SQLite data directory holds a store
   * (`worldtick.sqlite` or a WAL or journal of one; `details.files`). A copy goes into an empty database
   * (an empty schema, e.g. left by a copy that was killed, is empty) or a directory without a store
   * only; nothing was written. Exit 2.
   */
  STORE_COPY_TARGET_NOT_EMPTY: 'WT_ERR_STORE_COPY_TARGET_NOT_EMPTY',
  /**
   * `npm run store-copy`: the target differs from the source after the copy — a table's row count or
   * content digest (then the copy's transaction was rolled back: the target is unchanged), or the
   * ledger recomputed by `verify` on the committed target (`details`); or a store holds a table the copy
   * does not know (`details.source` / `details.target`: nothing copied). Exit 1.
   */
  STORE_COPY_MISMATCH: 'WT_ERR_STORE_COPY_MISMATCH',
  /**
   * Client library: `connect()` could not open the socket — nothing listens at the URL, the upgrade
   * was refused (a full server's HTTP 503), the host is unknown, or the URL is not a WebSocket URL
   * (`details.url`; `details.reason` what the WebSocket implementation said, empty in a browser, which
   * does not say). Message `could not connect to <url>: <reason>`. Retry with backoff, or fix the URL.
   */
  CLIENT_CONNECT_FAILED: 'WT_ERR_CLIENT_CONNECT_FAILED',
  /**
   * `npm run store-copy`: the source's ledger already has verify mismatches (balances or summaries that
   * differ from the recomputation, a negative balance; `details.mismatches`: every one). Copying it
   * would carry the damage into the target, so the copy is refused before anything is written to the
   * target (exit 2) unless `--accept-source-mismatches` is given; then it copies and lists them.
   */
  STORE_COPY_SOURCE_MISMATCH: 'WT_ERR_STORE_COPY_SOURCE_MISMATCH',
  /**
   * A game's hook threw (`details.game`, `details.hook`, `details.worldId`; the game's error is the
   * `cause`). `populate` / `onWorldCreated` while a world was built: nothing of the world is kept — a
   * server's start fails (exit 2, the message on stderr), `worlds.create` rejects with it, the admin
   * API's create answers 500. `onPlayerJoined` / `onPlayerLeft`: counted and logged at warn (ingest
   * `applyErrors`), the join or leave applies all the same.
   */
  GAME_HOOK_FAILED: 'WT_ERR_GAME_HOOK_FAILED',
  /**
   * Client library: `purchase()` was sent before `join` sent its hello on the socket, and the server
   * answered it `NOT_JOINED` (`details.key`, `details.wireCode`, `details.message`). Nothing was
   * bought: join, then retry with the same key.
   */
  CLIENT_NOT_JOINED: 'WT_ERR_CLIENT_NOT_JOINED',
  /**
   * An offline tool (`npm run backup`, `npm run verify --data-dir`) was given a SQLite data directory that holds no store
   * (`worldtick.sqlite` not found): a mistyped path is refused rather than read as an empty store.
   * `npm run verify` also refuses a `worldtick.sqlite` (empty, or another program's database) or a
   * PostgreSQL database without worldtick's schema (no `schema_migrations` table). Nothing was written. Exit 2.
   */
  STORE_FILE_MISSING: 'WT_ERR_STORE_FILE_MISSING',
  /**
   * `npm run backup`: the `--out` file exists (a backup never overwrites a file), appeared during the
   * backup, or its directory does not exist (a backup never creates directories). Nothing was
   * written. Exit 2.
   */
  BACKUP_OUT_REFUSED: 'WT_ERR_BACKUP_OUT_REFUSED',
  /**
   * `npm run backup`: the copy failed — the store could not be opened or read, `<out>.partial` could
   * not be written (an unwritable or full target), or the copy failed `PRAGMA integrity_check`
   * (the `cause`, e.g. `ENOTDIR`, `SQLITE_CANTOPEN`, is in the message). What the backup created was
   * removed; the store is untouched. Exit 2.
   */
  BACKUP_FAILED: 'WT_ERR_BACKUP_FAILED',
  /**
   * `npm run verify --admin-url`: the admin API did not answer with a verify report — it could not
   * be reached (the system's reason, e.g. `ECONNREFUSED`, ends the message), or its answer was not
   * JSON or was an error without a worldtick code (an error with one is printed with that code).
   * Exit 2.
   */
  VERIFY_ADMIN_FAILED: 'WT_ERR_VERIFY_ADMIN_FAILED',
  /**
   * A ledger batch was decided on a balance another writer has moved since (the same player's entry
   * committed by another world or instance: one identity live in two worlds). Nothing was written;
   * the world's ledger service reloads the player's balance (and catches its wallet up) and decides
   * the batch again. Internal: never answered to a client.
   */
  LEDGER_STALE: 'WT_ERR_LEDGER_STALE',
  /**
   * A ledger batch holds entries of a player whose stored balance is damaged and cannot be rebuilt from the
   * player's entries either: their sum is past what an integer holds (entries edited by hand;
   * `details.players`). Nothing was written; the world's ledger service answers those players' requests
   * `TX_UNAVAILABLE` and commits the rest of the batch again, so one damaged player fails no one else's
   * purchase. `verify` names the player. Internal: never answered to a client.
   */
  LEDGER_DAMAGED: 'WT_ERR_LEDGER_DAMAGED',
  /**
   * Client library: `purchase()` was given a key or item that holds a lone UTF-16 surrogate
   * (`details.field`: `key` or `item`). Such a string has no UTF-8 form: the server would refuse
   * the frame `BAD_FIELD` (docs/PROTOCOL.md), an error frame naming no purchase, so nothing was
   * sent. Keys are 1..128 printable ASCII characters.
   */
  CLIENT_BAD_STRING: 'WT_ERR_CLIENT_BAD_STRING',
  /**
   * `npm run verify --data-dir/--store` (offline, read-only): the store's schema is older than this
   * build's. The tool does not migrate it — a server of the older build may be running on it — and
   * wrote nothing. Start this build's server on the store once (it migrates), or run the older
   * build's `npm run verify`. Exit 2.
   */
  STORE_SCHEMA_OLD: 'WT_ERR_STORE_SCHEMA_OLD',
  /**
   * A stored world's record cannot be used to run it (a damaged row, or one edited by hand;
   * `details.problem`): it is not JSON of a world record, it names the default world under another id,
   * or its capacity, size or physics block is refused, so the world can be neither restored nor built
   * from it. The world is not started (an admin world; the default world is built afresh, as without a
   * record); its record and checkpoints are left as they are, and it is listed as not started
   * (`reason` `record-unusable`; its admin routes 409 with this code). Mend the record or restore the
   * store from a backup (docs/DURABILITY.md "Damaged rows").
   */
  WORLD_RECORD_UNUSABLE: 'WT_ERR_WORLD_RECORD_UNUSABLE',
} as const;

/** Union of every error code string. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];
