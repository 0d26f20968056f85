/**
 * The game's `authenticate` hook (GameServerOptions.authenticate, docs/GAME-API.md "Authenticating
 * players"): asked once per served `hello`, after cluster routing and the world lookup and before
 * any player is created, resumed or stored. Accepted: the durable player id derives from the
 * identity it returned (durable-sessions.ts `playerIdOfIdentity`), not from the raw token, and its
 * `cls` (if any) is the session's class. Refused: `AUTH_REFUSED`, close 4017. A hook that throws,
 * rejects, returns something else or does not settle within `net.authTimeoutMs`: `UNAVAILABLE`,
 * close 1013 (as a store failure), logged once per kind. Every outcome is counted (`stats().auth`).
 * Refusals are counted per client address (auth-failure-limit.ts): past
 * `net.maxAuthFailuresPerAddressPerMinute`, hellos from that address are refused `AUTH_LIMITED`
 * (close 4019) without calling the hook, so reconnecting in a loop cannot guess tokens faster.
 *
 * While an asynchronous hook is pending the socket's hello is pending (`conn.helloPending`):
 * input, purchase and game messages are held as while the durable store resolves a hello
 * (game-server-wire.ts `dispatchMessage`, at most 16), a second hello is `ALREADY_JOINED`, and
 * the hello timeout does not apply (the auth timeout does). A socket closed meanwhile creates nothing.
 */
import { CloseCode, WireErrorCode, type WireErrorCodeValue } from '../errors.js';
import type { Logger } from '../log.js';
import { AuthFailureLimiter } from './auth-failure-limit.js';
import { playerIdOfIdentity } from './durable-sessions.js';
import { remoteAddressOf } from './new-player-limit.js';
import type { NetConfig } from './net-config.js';
import type { HelloMsg } from './protocol.js';
import { SESSION_CLASS_NAMES, type SessionClassName } from './session-priority.js';
import type { Conn } from './session.js';

/** What the hook is asked about one hello. */
export interface AuthRequest {
  readonly worldId: string;
  readonly name: string;
  /** The hello `token` (0..256 characters): the credential to verify (e.g. a signed session token). */
  readonly token: string;
  /** The hello `resumeToken`, or null when none was sent (empty string included). */
  readonly resumeToken: string | null;
  /**
   * The client's address: the socket's peer address as uWebSockets.js reports it, or, when the
   * peer is one of `net.trustedProxies`, the client address its `X-Forwarded-For` names
   * (canonical text: dotted IPv4, RFC 5952 IPv6; docs/PROTOCOL.md "Connection limits").
   */
  readonly remoteAddress: string;
}

/** What the hook answers. `identity`: 1..128 characters; `cls`: the session class (default: the `sessionClass` hook). */
export type AuthResult =
  | { readonly ok: true; readonly identity: string; readonly cls?: SessionClassName }
  | { readonly ok: false; readonly reason?: string };

/** The game's authentication hook: a value or a promise of one. */
export type AuthenticateHook = (req: AuthRequest) => AuthResult | Promise<AuthResult>;

/** What an accepted hello carries into the session registry. */
export interface HelloIdentity {
  /** Durable player id of the identity (`a:` + 32 hex of sha256(identity)). */
  readonly playerId: string;
  /** Class the hook chose, or null (the `sessionClass` hook decides). */
  readonly cls: SessionClassName | null;
}

/** Outcomes of the hook (totals; `pending` is a gauge). Each hello given to the hook ends in exactly one total. */
export interface AuthStats {
  accepted: number;
  /** The hook answered `ok: false` (AUTH_REFUSED, 4017). */
  refused: number;
  /** The hook threw, rejected or answered something else (UNAVAILABLE, 1013). */
  failed: number;
  /** The hook did not settle within `net.authTimeoutMs` (UNAVAILABLE, 1013). */
  timedOut: number;
  /** The socket closed before the hook settled (its answer is ignored). */
  abandoned: number;
  /** Hellos waiting for the hook now. */
  pending: number;
}

/** Fresh counters. */
export const createAuthStats = (): AuthStats => ({ accepted: 0, refused: 0, failed: 0, timedOut: 0, abandoned: 0, pending: 0 });

/** Longest identity the hook may return. */
export const MAX_IDENTITY_LENGTH = 128;
/** Longest refusal reason sent to the client (printable ASCII only; anything else is not sent). */
export const MAX_REASON_LENGTH = 64;

/**
 * The error message of a refusal: `authentication refused`, followed by `: <reason>` when the
 * hook gave a reason of 1..64 printable ASCII characters that does not contain the hello token.
 * Any other reason is not sent (it may carry what the client must not see, e.g. the token).
 */
export const refusalMessage = (reason: unknown, token: string): string =>
  typeof reason === 'string' &&
  reason.length > 0 &&
  reason.length <= MAX_REASON_LENGTH &&
  /^[\x20-\x7e]+$/.test(reason) &&
  (token === '' || !reason.includes(token))
    ? `authentication refused: ${reason}`
    : 'authentication refused';

type Failure = 'threw' | 'rejected' | 'invalid' | 'timeout';

/** The hook's answer checked: an identity, a refusal message, or null (not a valid answer). */
const checkResult = (r: unknown, token: string): HelloIdentity | string | null => {
  if (typeof r !== 'object' || r === null) return null;
  const o = r as { ok?: unknown; identity?: unknown; cls?: unknown; reason?: unknown };
  if (o.ok === false) return refusalMessage(o.reason, token);
  if (o.ok !== true || typeof o.identity !== 'string') return null;
  if (o.identity.length < 1 || o.identity.length > MAX_IDENTITY_LENGTH) return null;
  let cls: SessionClassName | null = null;
  if (o.cls !== undefined) {
    const c = SESSION_CLASS_NAMES.find((n) => n === o.cls);
    if (c === undefined) return null;
    cls = c;
  }
  return { playerId: playerIdOfIdentity(o.identity), cls };
};

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';

/** What the authenticator uses of the game server. */
export interface AuthWire {
  /** Answer an error (no strike here) and, with `closeCode`, close. */
  reply(conn: Conn, code: WireErrorCodeValue, message: string, strike: boolean, closeCode?: number): void;
}

/**
 * Runs the game's hook for hellos. A class: it holds the counters, the failure kinds already
 * logged, and the server's callbacks.
 */
export class HelloAuthenticator {
  readonly stats: AuthStats;
  readonly #hook: AuthenticateHook;
  readonly #cfg: NetConfig;
  readonly #log: Logger;
  readonly #wire: AuthWire;
  readonly #onSettled: (conn: Conn) => void;
  readonly #onError: (err: unknown, conn: Conn) => void;
  readonly #logged = new Set<Failure>();
  /**
   * The hook's refusals per client address (`net.maxAuthFailuresPerAddressPerMinute`): a hello
   * from an address with none left is refused `AUTH_LIMITED` (close 4019) without calling the hook.
   */
  readonly failures: AuthFailureLimiter;

  /**
   * `onSettled`: an asynchronous hello finished here (refused, failed, or handed on without a new
   * wait): the server dispatches or drops what it held. `onError`: `proceed` threw (a bug).
   */
  constructor(
    hook: AuthenticateHook,
    cfg: NetConfig,
    log: Logger,
    stats: AuthStats,
    wire: AuthWire,
    onSettled: (conn: Conn) => void,
    onError: (err: unknown, conn: Conn) => void,
  ) {
    this.failures = new AuthFailureLimiter(cfg.maxAuthFailuresPerAddressPerMinute, cfg.authFailuresExemptLoopback);
    this.#hook = hook;
    this.#cfg = cfg;
    this.#log = log;
    this.stats = stats;
    this.#wire = wire;
    this.#onSettled = onSettled;
    this.#onError = onError;
  }

  /**
   * Ask the hook about hello `m` of `conn`; accepted → `proceed(identity)` (which joins or resumes).
   * A synchronous answer is handled at once; a promise marks the hello pending until it settles
   * or `net.authTimeoutMs` passes, whichever comes first.
   */
  run(conn: Conn, m: HelloMsg, proceed: (id: HelloIdentity) => void): void {
    const req: AuthRequest = {
      worldId: m.worldId,
      name: m.name,
      token: m.token,
      resumeToken: m.resumeToken ? m.resumeToken : null,
      remoteAddress: remoteAddressOf(conn),
    };
    // Refused too often from this address lately: answered without calling the hook (no strike).
    const key = this.failures.keyOf(req.remoteAddress);
    if (this.failures.blocked(key))
      return this.#wire.reply(
        conn,
        WireErrorCode.AUTH_LIMITED,
        'too many refused authentications from this address; retry later',
        false,
        CloseCode.AUTH_LIMITED,
      );
    // Counted as refused from now: given back when the hook accepts or fails (#answer, #fail), kept
    // when it refuses — also when the socket closed meanwhile — so hellos in flight respect the limit.
    this.failures.refused(key);
    const hook = this.#hook; // called as a plain function: the hook gets no `this`
    let answer: unknown;
    try {
      answer = hook(req);
    } catch (err) {
      return this.#fail(conn, 'threw', err);
    }
    if (!isThenable(answer)) return this.#answer(conn, m, answer, proceed);
    const st = this.stats;
    st.pending++;
    conn.helloPending = true;
    let done = false;
    const settle = (f: () => void, accepted: () => boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      st.pending--;
      conn.helloPending = false;
      if (conn.closed) {
        st.abandoned++;
        if (accepted()) this.failures.refund(key); // a refusal nobody heard still counts
        return;
      }
      try {
        f();
        // Handed on to the durable store: the registry settles it (and releases what is held).
        if (!conn.helloPending) this.#onSettled(conn);
      } catch (err) {
        this.#onError(err, conn);
      }
    };
    const failed = (): boolean => true; // not the client's doing: its token is given back
    const timer = setTimeout(() => settle(() => this.#fail(conn, 'timeout', null), failed), this.#cfg.authTimeoutMs);
    timer.unref();
    try {
      answer.then(
        (r) =>
          settle(
            () => this.#answer(conn, m, r, proceed),
            () => typeof checkResult(r, m.token) !== 'string',
          ),
        (err: unknown) => settle(() => this.#fail(conn, 'rejected', err), failed),
      );
    } catch (err) {
      settle(() => this.#fail(conn, 'threw', err), failed); // a thenable whose `then` throws
    }
  }

  #answer(conn: Conn, m: HelloMsg, r: unknown, proceed: (id: HelloIdentity) => void): void {
    const c = checkResult(r, m.token);
    if (c === null) return this.#fail(conn, 'invalid', null);
    if (typeof c === 'string') {
      this.stats.refused++; // its token was taken when the hook was called
      return this.#wire.reply(conn, WireErrorCode.AUTH_REFUSED, c, false, CloseCode.AUTH_REFUSED);
    }
    this.stats.accepted++;
    this.failures.refund(this.failures.keyOf(remoteAddressOf(conn)));
    proceed(c);
  }

  #fail(conn: Conn, kind: Failure, err: unknown): void {
    this.failures.refund(this.failures.keyOf(remoteAddressOf(conn))); // the hook's failure, not a refusal
    if (kind === 'timeout') this.stats.timedOut++;
    else this.stats.failed++;
    if (!this.#logged.has(kind)) {
      this.#logged.add(kind);
      const what =
        kind === 'timeout'
          ? `did not settle within net.authTimeoutMs (${this.#cfg.authTimeoutMs} ms)`
          : kind === 'invalid'
            ? `answered neither { ok: true, identity: 1..${MAX_IDENTITY_LENGTH} characters, cls? } nor { ok: false }`
            : kind;
      // Once per kind for the server's life: a failing auth service must not log a line per hello.
      this.#log.error({ err, conn: conn.id, kind }, `authenticate hook ${what}: hellos refused UNAVAILABLE (logged once)`);
    }
    this.#wire.reply(conn, WireErrorCode.UNAVAILABLE, 'authentication unavailable; retry', false, CloseCode.TRY_AGAIN);
  }
}
