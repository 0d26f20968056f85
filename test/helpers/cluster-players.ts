/**
 * Test players for cluster migration and failover tests: a real WorldtickClient that buys
 * arrows in a loop (idempotency key per purchase, retried with the same key until answered),
 * follows a mid-session `redirect` (or reconnects through any instance after its socket died)
 * and resumes with its resume token. Records what the tests assert on.
 */
import WebSocket from 'ws';
import { WorldtickClient, type WebSocketCtor } from '../../src/client/client.js';
import type { ServerMsg } from '../../src/net/protocol.js';

/** What one player saw. */
export interface PlayerLog {
  readonly name: string;
  /** Resume tokens of every welcome (all equal when every reconnect resumed). */
  readonly resumeTokens: string[];
  /** Keys acknowledged `ok` (each once). */
  readonly acked: Set<string>;
  /** Keys answered `rejected`, with the code. */
  readonly rejected: Map<string, string>;
  /** World time of every snapshot, in arrival order across reconnects. */
  readonly worldTimes: number[];
  /** Steps of every snapshot. */
  readonly steps: number[];
  /** Resumes refused (RESUME_REFUSED errors). */
  resumeRefused: number;
  /** TX_UNAVAILABLE answers (retried with the same key). */
  unavailable: number;
  redirects: number;
  reconnects: number;
  /** First joins answered NOT_OWNER ("retry": the owner's lease near its end on a loaded machine) and sent again. */
  joinRetries: number;
  /**
   * Failed reconnects by what refused them: the hello's wire code (`NOT_OWNER`, `UNAVAILABLE`…), `too-many-redirects`, or
   * `no-hello` when no hello was answered (the instance gone). A real client stops for good on `UNKNOWN_WORLD`; this one tries on.
   */
  readonly refusals: Map<string, number>;
  /** Wallet after the last purchase result. */
  wallet: { coins: number | null; items: Record<string, number> | null };
}

/** A running player; `stop()` finishes the purchase in flight (answered) and closes. */
export interface TestPlayer {
  readonly log: PlayerLog;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Start a player on `worldId`: joins through `urls[0]` with a hello token (its durable player
 * id), then buys an arrow every `everyMs`. After losing its socket it reconnects to the redirect's
 * URL, else round-robin over `urls`, with its resume token.
 */
export const startPlayer = async (worldId: string, name: string, urls: readonly string[], everyMs = 40): Promise<TestPlayer> => {
  const log: PlayerLog = {
    name,
    resumeTokens: [],
    acked: new Set(),
    rejected: new Map(),
    worldTimes: [],
    steps: [],
    resumeRefused: 0,
    unavailable: 0,
    redirects: 0,
    reconnects: 0,
    joinRetries: 0,
    refusals: new Map(),
    wallet: { coins: null, items: null },
  };
  let redirectTo: string | null = null;
  let stopping = false;
  let rr = 0;
  const listen = (m: ServerMsg): void => {
    if (m.type === 17) {
      log.worldTimes.push(m.worldTime);
      log.steps.push(m.step);
    } else if (m.type === 23) {
      redirectTo = m.url;
      log.redirects++;
    } else if (m.type === 20 && m.code === 'RESUME_REFUSED') log.resumeRefused++;
  };
  const open = async (url: string, resume: string | null): Promise<WorldtickClient> => {
    const c = new WorldtickClient({ url, WebSocket: WebSocket as unknown as WebSocketCtor });
    c.on(listen);
    await c.connect();
    try {
      const w = await c.join(worldId, name, `token-${name}`, resume);
      log.resumeTokens.push(w.resumeToken);
      return c;
    } catch (err) {
      c.socket?.close();
      throw err;
    }
  };
  // The first join: a NOT_OWNER answer (close 4015, "retry") is sent again, as a client does, for up to 15 s. Seen in a
  // double run of test/integration/cluster (failover.test's first players): the default world's owner, starved, within
  // its lease's guard.
  const first = async (): Promise<WorldtickClient> => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        return await open(urls[0], null);
      } catch (err) {
        if ((err as { details?: { wireCode?: unknown } }).details?.wireCode !== 'NOT_OWNER' || Date.now() >= deadline) throw err;
        log.joinRetries++;
        await sleep(200);
      }
    }
  };
  let client = await first();
  const run = (async () => {
    let n = 0;
    while (!stopping) {
      const key = `${name}-${n}`;
      for (;;) {
        try {
          if (!client.open) throw new Error('closed');
          // Waits past the server's own 2 s deadline (ledger `deadlineMs`), which answers TX_UNAVAILABLE
          // while the store does not commit: with 2 s here too, the player could give up first, reconnect
          // and send the key again, never seeing that answer. A closed socket (a redirect, the owner gone)
          // ends the wait at once.
          const r = await client.purchase(key, 'arrow', 1, 1, 4000);
          if (r.status === 'rejected' && r.code === 'TX_UNAVAILABLE') {
            // Nothing committed (the world is moving, or the store is busy): the same key again.
            log.unavailable++;
            await sleep(50);
            continue;
          }
          if (r.status === 'ok') log.acked.add(key);
          else log.rejected.set(key, String(r.code));
          log.wallet = { coins: r.coins, items: r.items };
          break;
        } catch {
          // Lost the socket (redirect, owner died) or no answer: reconnect and resume, same key again.
          for (;;) {
            await sleep(100);
            const url = redirectTo ?? urls[rr++ % urls.length];
            redirectTo = null;
            try {
              client.socket?.close();
              client = await open(url, log.resumeTokens[log.resumeTokens.length - 1] ?? null);
              log.reconnects++;
              break;
            } catch (err) {
              // NOT_OWNER while the world moves, or the instance is gone: try again.
              const d = (err as { details?: { wireCode?: unknown } }).details;
              const code = d && 'wireCode' in d ? String(d.wireCode ?? 'too-many-redirects') : 'no-hello';
              log.refusals.set(code, (log.refusals.get(code) ?? 0) + 1);
            }
          }
        }
      }
      n++;
      await sleep(everyMs);
    }
  })();
  return {
    log,
    async stop() {
      stopping = true;
      await run;
      client.socket?.close();
    },
  };
};

/** True when `xs` never decreases. */
export const monotonic = (xs: readonly number[]): boolean => xs.every((x, i) => i === 0 || x >= xs[i - 1]);
