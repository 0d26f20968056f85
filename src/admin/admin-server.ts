/**
 * The admin HTTP server (a runtime `Service`): JSON API under `/api/v1`, `/metrics`,
 * `/healthz`, `/readyz` and the dashboard at `/`, on its own uWebSockets.js app and port
 * (`--admin-port`, 0 = any free port; the bound port is `AdminServer.port`).
 *
 * Request flow (all of it through src/admin/http.ts):
 *   uWS handler (sync): openExchange (onAborted first) → snapshot req → route (404/405; OPTIONS → 204 + Allow;
 *   HEAD runs the GET route, body dropped by the Exchange) → bearer check (401) → content-type/length checks (415/413) → start readBody
 *   async: await body (413 while streaming) → JSON.parse (400) → handler → Exchange.send
 * A response that arrives after the client went away is dropped and counted.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from '../log.js';
import type { LoopRunner } from '../loop/loop-runner.js';
import type { SimWorld } from '../world/sim-world.js';
import type { Service } from '../server/service.js';
import { listenExclusive, uWS, type HttpRequest, type HttpResponse, type TemplatedApp, type us_listen_socket } from '../uws.js';
import { ErrorCode, WorldtickError } from '../errors.js';
import { announceAdmin, createTokenCheck } from './auth.js';
import {
  badRequest,
  errorBody,
  methodNotAllowed,
  routeNotFound,
  statusOf,
  unauthorized,
  unsupportedMediaType,
  bodyTooLarge,
} from './http-errors.js';
import {
  openExchange,
  readBody,
  RequestAborted,
  snapshotRequest,
  type Exchange,
  type RequestSnapshot,
  type RouteResponse,
} from './http.js';
import type { AdminMetrics } from './metrics.js';
import { createRouter, type AdminRequest, type Route } from './router.js';
import { worldRoutes, type CreateWorldRequest } from './routes-worlds.js';
import { OpsState } from './ops-state.js';
import { opsRoutes } from './routes-ops.js';
import { tierRoutes } from './routes-tiers.js';
import type { StatsSources } from './sources.js';
import type { Telemetry } from './telemetry.js';

export interface AdminServerOptions {
  host: string;
  /** TCP port; 0 = any free port. */
  port: number;
  /** Bearer token (non-empty). */
  token: string;
  /** Accept-only previous token during a rotation (`--admin-token-previous`; '' or absent = none): its requests are counted. */
  previousToken?: string;
  /**
   * True when the token was generated at start: it is printed once to stderr with the dashboard URL
   * (plain lines, never in a log line: the `admin listening` line carries `tokenGenerated: true` only).
   */
  tokenGenerated?: boolean;
  runner: LoopRunner;
  logger: Logger;
  telemetry: Telemetry;
  metrics: AdminMetrics;
  sources?: StatsSources;
  /** Readiness (`/readyz`): true once the runtime has started and until it starts stopping. */
  isReady: () => boolean;
  /** Why `isReady` is false (`starting`, `stopping`, `draining`…), answered as `reason`. Default none. */
  notReadyReason?: () => string | null;
  /** Worlds the API must not delete (the embedded default world). */
  protectedWorldIds?: readonly string[];
  /** Most worlds the runtime may hold (`--max-worlds`; a create past it is refused with 409). Default 32. */
  maxWorlds?: number;
  /**
   * Called after `DELETE /api/v1/worlds/{id}` removed a world from the runner (and closed its
   * jobs): other services release what they hold for it (the game server's sessions, parked
   * players and replication slot). Errors are logged, not answered. It says (or a returned promise,
   * awaited before the `200`, resolves) whether the world's stored record is gone: `durable` in the
   * answer (true without the hook).
   */
  onWorldDeleted?: (world: SimWorld) => boolean | Promise<boolean>;
  /**
   * Called with a world created by `POST /api/v1/worlds` after it is populated and before it
   * joins the runner (the runtime enables scene jobs there). A throw fails the create (500). A
   * returned promise is awaited before the `201` (the runtime: the world's record is durable).
   */
  onWorldCreated?: (world: SimWorld) => void | Promise<void>;
  /**
   * Builds and populates a world for `POST /api/v1/worlds` (the runtime passes its game's world
   * factory; its promise, a world built across event-loop turns). Default: a life-sim world populated
   * with `npcs` NPCs in slices.
   */
  createWorld?: (o: CreateWorldRequest) => SimWorld | Promise<SimWorld>;
  /** Largest accepted request body in bytes. Default 64 KiB. */
  bodyLimitBytes?: number;
  /** Extra routes (other modules' admin endpoints; tests). */
  extraRoutes?: readonly Route[];
  /** Print the dashboard URL line on stderr at start. Default true. */
  printUrl?: boolean;
  /**
   * Operator state (maintenance flags, change counters, heartbeat check); created when absent.
   * The runtime reads `admin.ops.isOn(worldId)` to refuse new game sessions in maintenance.
   */
  ops?: OpsState;
  /**
   * Wraps every authorised API route (cluster mode: forward a world's requests to its owner,
   * list the cluster's worlds). `next` runs the local handler.
   */
  intercept?: (req: InterceptedRequest, next: () => Promise<RouteResponse>) => Promise<RouteResponse>;
}

/** A request as {@link AdminServerOptions.intercept} sees it. */
export interface InterceptedRequest extends AdminRequest {
  /** The bearer header as received (forwarded as is). */
  readonly authorization: string;
  /** `X-Worldtick-Forwarded-By` of the request ('' when it came from a client). */
  readonly forwardedBy: string;
  /** The route pattern matched (`/api/v1/worlds/:id/stats`). */
  readonly pattern: string;
  /** The body as received (UTF-8), which a forward sends on: `body` written out again can differ (Infinity) or throw (deep nesting). */
  readonly bodyText?: string;
}

/** Counters of the admin server itself (observable in tests and logs). */
export interface AdminServerCounters {
  requests: number;
  /** Requests whose client went away before the response. */
  aborted: number;
  /** Handler errors that were not coded (500). */
  internalErrors: number;
}

/** A request body's JSON; 415 for text that does not parse under a non-JSON content type (`nonJsonType`), else 400. */
const parseJsonBody = (text: string, nonJsonType: string | null): unknown => {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (nonJsonType !== null) throw unsupportedMediaType(nonJsonType, (err as Error).message);
    throw badRequest(`body is not valid JSON: ${(err as Error).message.slice(0, 120)}`);
  }
};

const asset = (name: string): Buffer => readFileSync(new URL(`./dashboard/${name}`, import.meta.url));

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

const isJsonType = (ct: string): boolean => /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(ct.trim());

/** The admin server. Owns a uWS app and its listen socket, hence a class. */
export class AdminServer implements Service {
  readonly name = 'admin';
  readonly counters: AdminServerCounters = { requests: 0, aborted: 0, internalErrors: 0 };
  readonly #opts: AdminServerOptions;
  readonly #check: (authorization: string) => boolean;
  readonly #match: ReturnType<typeof createRouter>;
  /** Every route (method and path pattern, `:name` segments), in registration order: what docs/ADMIN.md lists. */
  readonly routes: ReadonlyArray<{ readonly method: Route['method']; readonly pattern: string }>;
  readonly #limit: number;
  /** Maintenance flags, operator change counters and the heartbeat check (routes-ops.ts). */
  readonly ops: OpsState;
  #app: TemplatedApp | null = null;
  #socket: us_listen_socket | null = null;
  #port = -1;

  constructor(opts: AdminServerOptions) {
    this.#opts = opts;
    this.#check = createTokenCheck(opts.token, opts.previousToken, () => opts.metrics.previousToken.inc());
    this.#limit = opts.bodyLimitBytes ?? 64 * 1024;
    const ops = (this.ops = opts.ops ?? new OpsState());
    const html = asset('index.html');
    const js = asset('app.js');
    const panelsJs = asset('panels.js');
    const css = asset('style.css');
    const page = (body: Buffer, contentType: string) => (): RouteResponse => ({
      body,
      contentType,
      headers: { 'Content-Security-Policy': CSP },
    });
    const routes: Route[] = [
      { method: 'GET', pattern: '/healthz', public: true, handler: () => ({ json: { status: 'ok' } }) },
      {
        method: 'GET',
        pattern: '/readyz',
        public: true,
        handler: () => {
          if (!opts.isReady()) {
            const reason = opts.notReadyReason?.() ?? null;
            return { status: 503, json: reason ? { ready: false, reason } : { ready: false } };
          }
          // A running world whose periodic heartbeat stopped (a stalled loop or scheduler) is not ready.
          const stale = opts.runner
            .worlds()
            .map((w) => ops.heartbeat(w))
            .filter((h) => h.stale);
          return stale.length ? { status: 503, json: { ready: false, reason: 'heartbeat lost', stale } } : { json: { ready: true } };
        },
      },
      {
        method: 'GET',
        pattern: '/metrics',
        handler: async () => ({ body: await opts.metrics.registry.metrics(), contentType: opts.metrics.registry.contentType }),
      },
      { method: 'GET', pattern: '/', public: true, handler: page(html, 'text/html; charset=utf-8') },
      // The same page under the name an operator types (its assets are absolute paths).
      { method: 'GET', pattern: '/dashboard', public: true, handler: page(html, 'text/html; charset=utf-8') },
      { method: 'GET', pattern: '/dashboard/app.js', public: true, handler: page(js, 'text/javascript; charset=utf-8') },
      { method: 'GET', pattern: '/dashboard/panels.js', public: true, handler: page(panelsJs, 'text/javascript; charset=utf-8') },
      { method: 'GET', pattern: '/dashboard/style.css', public: true, handler: page(css, 'text/css; charset=utf-8') },
      ...worldRoutes({
        runner: opts.runner,
        telemetry: opts.telemetry,
        logger: opts.logger,
        sources: opts.sources,
        protectedWorldIds: opts.protectedWorldIds,
        maxWorlds: opts.maxWorlds,
        onWorldDeleted: (w) => {
          ops.forget(w.id);
          return opts.onWorldDeleted?.(w) ?? true;
        },
        createWorld: opts.createWorld,
        onWorldCreated: (w) => {
          ops.apply(w); // runtime-wide maintenance holds new worlds too
          return opts.onWorldCreated?.(w);
        },
      }),
      ...opsRoutes({ runner: opts.runner, logger: opts.logger, ops }),
      ...tierRoutes({ runner: opts.runner }),
      ...(opts.extraRoutes ?? []),
    ];
    this.#match = createRouter(routes);
    this.routes = routes.map(({ method, pattern }) => ({ method, pattern }));
  }

  /** The bound port (valid after `start`). */
  get port(): number {
    return this.#port;
  }

  /** The metrics `/metrics` serves (the registry, and the counters the embedding process updates). */
  get metrics(): AdminMetrics {
    return this.#opts.metrics;
  }

  /** Base URL of the admin server, e.g. `http://127.0.0.1:7701`. */
  get url(): string {
    const host = this.#opts.host === '0.0.0.0' || this.#opts.host === '::' ? '127.0.0.1' : this.#opts.host;
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.#port}`;
  }

  /**
   * Run an authorised API route in process, as a request from a client would run (route match,
   * `intercept` — cluster forwarding and placement — then the handler), without HTTP: the
   * in-process front door of the same code (src/server/server-worlds.ts). Resolves with the
   * route's response, a forwarded one included (its `body` is the peer's JSON text); a route's
   * thrown error rejects as it is. Not counted as an HTTP request.
   */
  async invoke(method: string, path: string, body?: unknown, query: URLSearchParams = new URLSearchParams()): Promise<RouteResponse> {
    const m = this.#match(method, path);
    if (m.kind === 'none') throw routeNotFound(path.slice(0, 200));
    if (m.kind !== 'found') throw methodNotAllowed(method, path.slice(0, 200), m.allow);
    const route = m.route;
    const req = { method, path, query, params: m.params, body };
    const icept = this.#opts.intercept;
    if (!icept || route.public) return route.handler(req);
    const authorization = `Bearer ${this.#opts.token}`; // a forward to a peer carries the cluster's admin token
    return icept({ ...req, authorization, forwardedBy: '', pattern: route.pattern }, async () => route.handler(req));
  }

  async start(): Promise<void> {
    const app = uWS.App();
    app.any('/*', (res, req) => this.#onRequest(res, req));
    const socket = await listenExclusive(app, this.#opts.host, this.#opts.port);
    if (!socket) {
      throw new WorldtickError(
        ErrorCode.PORT_IN_USE,
        `admin server cannot listen on ${this.#opts.host}:${this.#opts.port} (port in use or not allowed)`,
        {
          details: { host: this.#opts.host, port: this.#opts.port },
        },
      );
    }
    this.#app = app;
    this.#socket = socket;
    this.#port = uWS.us_socket_local_port(socket);
    const o = this.#opts;
    announceAdmin({
      logger: o.logger,
      url: `${this.url}/`,
      token: o.token,
      generated: o.tokenGenerated === true,
      previous: Boolean(o.previousToken),
      print: o.printUrl !== false,
    });
  }

  async stop(): Promise<void> {
    if (this.#socket) uWS.us_listen_socket_close(this.#socket);
    this.#socket = null;
    // `close()` exists at runtime in this build (it closes open keep-alive connections too) but
    // is missing from the bundled typings.
    (this.#app as unknown as { close?: () => void } | null)?.close?.();
    this.#app = null;
  }

  #fail(ex: Exchange, err: unknown, close = false): void {
    const status = statusOf(err);
    if (status >= 500 && !(err instanceof WorldtickError)) {
      this.counters.internalErrors++;
      this.#opts.logger.error({ err }, 'admin route failed');
    }
    const allow =
      err instanceof WorldtickError && err.code === ErrorCode.ADMIN_METHOD_NOT_ALLOWED ? (err.details as { allow: string[] }).allow : null;
    const headers: Record<string, string> = {};
    if (allow) headers.Allow = allow.join(', ');
    if (status === 401) headers['WWW-Authenticate'] = 'Bearer realm="worldtick-admin"';
    // A coded 503 (e.g. WT_ERR_WORLD_NOT_DURABLE) is worth retrying soon.
    if (status === 503 && err instanceof WorldtickError) headers['Retry-After'] = '1';
    this.#respond(ex, { status, json: errorBody(err), headers }, close);
  }

  #respond(ex: Exchange, r: RouteResponse, close = false): void {
    if (ex.send(r, close)) this.#opts.metrics.requests.inc({ status: String(r.status ?? 200) });
    else if (ex.aborted) this.counters.aborted++;
  }

  #onRequest(res: HttpResponse, req: HttpRequest): void {
    const ex = openExchange(res, req); // onAborted before anything can return early
    this.counters.requests++;
    const r = snapshotRequest(req);
    // A malformed Content-Length (NaN) counts as a body, so its refusal below closes the connection
    // (whatever follows is unread). `NaN > 0` alone made it bodiless: a DELETE of a world ran, while
    // uWS dropped the connection unanswered (fuzz seed 80293).
    const hasBody = r.contentLength > 0 || r.chunked || Number.isNaN(r.contentLength);
    try {
      const path = r.path.length > 1 && r.path.endsWith('/') ? r.path.slice(0, -1) : r.path;
      const m = this.#match(r.method, path);
      // Paths and methods are echoed in messages: cut them (a 9 KB path made an 18 KB error body).
      const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
      const method = r.method.slice(0, 20);
      if (m.kind === 'none') throw routeNotFound(shown);
      if (m.kind === 'method') throw methodNotAllowed(method, shown, m.allow);
      if (m.kind === 'options') {
        // No token (it tells what a 405 tells); no Access-Control-* header ever (docs/ADMIN.md "Routes").
        if (hasBody) throw badRequest(`OPTIONS ${shown} takes no request body`);
        this.#respond(ex, { status: 204, headers: { Allow: m.allow.join(', ') } });
        return;
      }
      const route = m.route;
      if (!route.public && !this.#check(r.authorization)) throw unauthorized();
      if (Number.isNaN(r.contentLength)) throw badRequest('malformed Content-Length');
      let body: Promise<Buffer> | null = null;
      if (route.body && hasBody) {
        // Any content type is read (curl -d sends application/x-www-form-urlencoded): a body that
        // parses as JSON is accepted; one that does not is 415 unless it was declared JSON (400).
        // Cross-site form posts cannot carry the bearer token, so this opens nothing (docs/ADMIN.md).
        if (r.contentLength > this.#limit) throw bodyTooLarge(this.#limit);
        body = readBody(res, ex, this.#limit);
      } else if (hasBody) throw badRequest(`${method} ${shown} takes no request body`);
      // HEAD runs the GET route as a GET (handlers, cluster forwarding); the Exchange drops the body.
      void this.#run(ex, route.method, path, r.query, m.params, route, body, isJsonType(r.contentType) ? null : r.contentType, r);
    } catch (err) {
      // The body (if any) was not read: close the connection after the error response.
      this.#fail(ex, err, hasBody);
    }
  }

  async #run(
    ex: Exchange,
    method: string,
    path: string,
    query: URLSearchParams,
    params: Record<string, string>,
    route: Route,
    bodyPromise: Promise<Buffer> | null,
    /** The request's content type when it is not a JSON type (null when it is). */
    nonJsonType: string | null,
    snap: RequestSnapshot,
  ): Promise<void> {
    let bodyRead = bodyPromise === null;
    try {
      const raw = bodyPromise ? await bodyPromise : null;
      bodyRead = true;
      const bodyText = raw && raw.length > 0 ? raw.toString('utf8') : undefined;
      const body = bodyText === undefined ? undefined : parseJsonBody(bodyText, nonJsonType);
      const req = { method, path, query, params, body };
      const icept = this.#opts.intercept;
      const intercepted = { ...req, authorization: snap.authorization, forwardedBy: snap.forwardedBy, pattern: route.pattern, bodyText };
      const out = icept && !route.public ? await icept(intercepted, async () => route.handler(req)) : await route.handler(req);
      this.#respond(ex, out);
    } catch (err) {
      if (err instanceof RequestAborted) {
        this.counters.aborted++;
        return;
      }
      this.#fail(ex, err, !bodyRead);
    }
  }
}
