/**
 * Options of the WebSocket game server (src/net/game-server.ts) and the cluster routing
 * decision of one hello.
 */
import type { WireErrorCodeValue } from '../errors.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/types.js';
import type { SimWorld } from '../world/sim-world.js';
import type { OpenFileLimit } from './fd-limit.js';
import type { NetConfig } from './net-config.js';
import type { AuthenticateHook } from './hello-auth.js';
import type { HelloMsg } from './protocol.js';
import type { SessionClassHook } from './session-class-hook.js';

/** What the game server needs from the runtime (validated by the constructor: `WT_ERR_OPTION_INVALID`). */
export interface GameServerOptions {
  host: string;
  /** 0 = any free port (see `port` after start). */
  port: number;
  logger: Logger;
  /** World by id (the runtime's loop runner), or undefined. */
  resolveWorld: (id: string) => SimWorld | undefined;
  net?: Partial<NetConfig>;
  /** Wall clock in Unix epoch ms (snapshot send time, pong). Default Date.now. */
  epochNow?: () => number;
  /** Seed of the spawn-position PRNG. Default 1. */
  spawnSeed?: number;
  /**
   * The process's open-file limit (default: read from /proc/self/limits at start; null = unknown).
   * `maxConnections` is capped below it so an extra client gets a 503 instead of a stalled accept.
   */
  openFileLimit?: OpenFileLimit | null;
  /**
   * Admission hook read at join: true refuses a new session (`MAINTENANCE`, close 4013) while a
   * resume of an existing player is still accepted. The runtime passes the admin's maintenance state.
   */
  refuseNewSessions?: (world: SimWorld) => boolean;
  /**
   * Cluster routing, asked first on every valid hello (src/server/cluster-service.ts): serve it
   * here, redirect it to the world's owner (a `redirect` message, then close 4014), or refuse it.
   * Absent: every hello is served here (one instance).
   */
  routeHello?: (hello: HelloMsg) => HelloRoute;
  /**
   * The durable store (read at start; the runtime opens it first). With one, player ids, resume
   * tokens and positions are durable (src/net/durable-sessions.ts); without, sessions live in memory.
   */
  store?: () => Store | null;
  /**
   * Wall ms until the loop's next due step (negative: late; the runtime's `LoopRunner.slackMs`): the
   * session sweep's transactions are sized to fit in it (src/net/session-sweep.ts). Default: Infinity.
   */
  loopSlackMs?: () => number;
  /**
   * The class of a new session (`player`, `spectator`, `bot`, `observer`), read at join. Default:
   * from the hello token (`spectator:…`, `bot:…`, `observer:…`; anything else is a player).
   */
  sessionClass?: SessionClassHook;
  /**
   * Authentication (src/net/hello-auth.ts, docs/GAME-API.md "Authenticating players"): asked once per
   * served hello, before any player is created, resumed or stored, with `{ worldId, name, token,
   * resumeToken, remoteAddress }`; answers (or resolves to) `{ ok: true, identity, cls? }` — the
   * durable player id is then `a:` + 32 hex of sha256(identity), and a resume needs the same
   * identity — or `{ ok: false, reason? }` (`AUTH_REFUSED`, close 4017). A throw, a rejection or no
   * answer within `net.authTimeoutMs`: `UNAVAILABLE`, close 1013. Absent: the hello token is the
   * identity (`t:` + sha256 prefix of the token), as before.
   */
  authenticate?: AuthenticateHook;
}

/**
 * The game server hooks a game sets through the public API (`startServer` / `runMain` options,
 * src/game/server.ts): who a client is and which class its session has.
 */
export type ServerHooks = Pick<GameServerOptions, 'authenticate' | 'sessionClass'>;

/** What {@link GameServerOptions.routeHello} decides for one hello. */
export type HelloRoute =
  | { readonly kind: 'serve' }
  | { readonly kind: 'redirect'; readonly url: string; readonly ticket: string }
  | { readonly kind: 'refuse'; readonly code: WireErrorCodeValue; readonly message: string; readonly closeCode: number };
