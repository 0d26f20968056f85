/**
 * A raw game-protocol WebSocket for the hostile probes: a plain `ws` socket that records every
 * decoded server message and its close code, with small waits on what arrived.
 */
import WebSocket from 'ws';
import { pack, unpack } from 'msgpackr';

/** One raw socket: what it received, its close code once closed. */
export interface RawWs {
  ws: WebSocket;
  /** Decoded server messages in arrival order. */
  msgs: unknown[][];
  /** Resolves with the close code the client saw. */
  closed: Promise<number>;
  /** Close code (0 while open). */
  code(): number;
  /** Send a msgpack value (binary frame). */
  send(v: unknown): void;
  /** Wait until a message of `type` (optionally matching `pred`) arrived; resolves it. */
  waitFor(type: number, pred?: (m: unknown[]) => boolean, timeoutMs?: number): Promise<unknown[]>;
  /** Error codes received, in order. */
  errors(): string[];
}

/** Open a raw socket to `url` (resolves once open); `headers` are sent with the upgrade request. */
export const openRaw = (url: string, headers?: Record<string, string | string[]>): Promise<RawWs> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url, headers ? { headers } : undefined);
    const msgs: unknown[][] = [];
    let code = 0;
    const closed = new Promise<number>((r) =>
      ws.on('close', (c: number) => {
        code = c;
        r(c);
      }),
    );
    ws.on('error', (err) => reject(err));
    ws.on('message', (d: Buffer) => {
      try {
        const v = unpack(d);
        msgs.push(Array.isArray(v) ? v : [v]);
      } catch {
        msgs.push(['UNDECODABLE']);
      }
    });
    ws.on('open', () =>
      resolve({
        ws,
        msgs,
        closed,
        code: () => code,
        send: (v) => ws.send(pack(v), { binary: true }),
        errors: () => msgs.filter((m) => m[0] === 20).map((m) => String(m[1])),
        waitFor: async (type, pred, timeoutMs = 5000) => {
          const t0 = Date.now();
          for (;;) {
            const m = msgs.find((x) => x[0] === type && (!pred || pred(x)));
            if (m) return m;
            if (Date.now() - t0 > timeoutMs)
              throw new Error(`no message of type ${type} within ${timeoutMs} ms; got ${JSON.stringify(msgs).slice(0, 400)}`);
            if (code !== 0)
              throw new Error(`socket closed (${code}) before a message of type ${type}; got ${JSON.stringify(msgs).slice(0, 400)}`);
            await new Promise((r) => setTimeout(r, 3));
          }
        },
      }),
    );
  });

/** Open a raw socket to `url` and join world `1` as `name` (empty token): the socket and its player from `welcome`. */
export const joinRaw = async (url: string, name: string): Promise<{ c: RawWs; player: number }> => {
  const c = await openRaw(url);
  c.send([1, 1, '1', name, '', null]);
  return { c, player: (await c.waitFor(16))[2] as number };
};
