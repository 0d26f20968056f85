/**
 * The traffic of bench/soak.ts: `agents` loops, each playing visits against a market server
 * (bench/soak-server.ts) until told to stop, and an admin poller. A visit joins with one of a pool
 * of identities (now and then a fresh one), moves, buys (ledger `purchase` frames and the game's
 * `buy` message, each with a fresh or a repeated idempotency key), pings, and leaves one way:
 * a clean close, an abrupt drop then a resume with its token (within or after the grace), or
 * hostile frames (bad msgpack, an oversize frame, wrong types, unknown opcodes). Some sockets
 * send only garbage before any hello. Snapshots are recognised by their head byte and not decoded.
 */
import { pack, unpack } from 'msgpackr';
import WebSocket from 'ws';

/** What the traffic did (counts). */
export interface Traffic {
  visits: number;
  welcomes: number;
  resumed: number;
  freshIdentities: number;
  inputs: number;
  purchases: number;
  purchasesRepeated: number;
  gameBuys: number;
  gameBuysRepeated: number;
  txResults: number;
  receipts: number;
  hostileSockets: number;
  hostileFrames: number;
  abruptDrops: number;
  errorsByCode: Record<string, number>;
  closesByCode: Record<string, number>;
  adminRequests: number;
  adminByStatus: Record<string, number>;
  connectFailures: number;
}

export const newTraffic = (): Traffic => ({
  visits: 0,
  welcomes: 0,
  resumed: 0,
  freshIdentities: 0,
  inputs: 0,
  purchases: 0,
  purchasesRepeated: 0,
  gameBuys: 0,
  gameBuysRepeated: 0,
  txResults: 0,
  receipts: 0,
  hostileSockets: 0,
  hostileFrames: 0,
  abruptDrops: 0,
  errorsByCode: {},
  closesByCode: {},
  adminRequests: 0,
  adminByStatus: {},
  connectFailures: 0,
});

const bump = (m: Record<string, number>, k: string): void => {
  m[k] = (m[k] ?? 0) + 1;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A small seeded generator (mulberry32): the same seed plays the same choices. */
export const rng = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** Message type of a server frame from its first bytes (msgpack fixarray head + positive fixint type). */
const typeOf = (d: Buffer): number => (d.length > 1 && (d[0] ?? 0) >= 0x90 && (d[0] ?? 0) <= 0x9f ? (d[1] ?? -1) : -1);

interface Conn {
  ws: WebSocket;
  welcome: Promise<{ resumeToken: string; resumed: boolean } | null>;
  closed: Promise<number>;
}

const HOSTILE: Array<() => Buffer> = [
  () => Buffer.from([0xc1, 0xc1, 0xff, 0x00]), // bad msgpack (0xc1 is never used)
  () => Buffer.alloc(8192, 7), // over maxPayloadLength (4096): uWS closes with 1006
  () => pack([2, 'one', {}, null, -5]), // input with wrong types
  () => pack([4, 42, ['x'], 'many', null]), // purchase with wrong types
  () => pack([99, 1, 2, 3]), // unknown opcode
  () => pack([5, '', 1]), // game message with an empty name
  () => pack([5, 'buy', { stall: 'x', item: 7 }]), // a game message failing its schema
  () => pack({ not: 'an array' }),
];

/** Open a socket, send hello, resolve the welcome (or null when refused/closed first). */
const open = (
  url: string,
  t: Traffic,
  token: string,
  resume: string | null,
  onFrame: (type: number, m: unknown[]) => void,
  world = '1',
): Conn => {
  const ws = new WebSocket(url);
  let settle: (v: { resumeToken: string; resumed: boolean } | null) => void = () => {};
  const welcome = new Promise<{ resumeToken: string; resumed: boolean } | null>((r) => {
    settle = r;
  });
  const closed = new Promise<number>((r) => {
    ws.on('close', (code) => {
      bump(t.closesByCode, String(code));
      settle(null);
      r(code);
    });
  });
  ws.on('open', () => ws.send(pack([1, 1, world, token.slice(0, 32), token, resume]), { binary: true }));
  ws.on('message', (d: Buffer) => {
    const type = typeOf(d);
    if (type === 17 || type === 24) return; // snapshots: not decoded
    const m = unpack(d) as unknown[];
    if (m[0] === 16) {
      t.welcomes++;
      if (m[9] === true) t.resumed++;
      settle({ resumeToken: String(m[6]), resumed: m[9] === true });
    } else if (m[0] === 20) bump(t.errorsByCode, String(m[1]));
    onFrame(Number(m[0]), m);
  });
  ws.on('error', () => {
    t.connectFailures++;
  });
  return { ws, welcome, closed };
};

const send = (ws: WebSocket, frame: Buffer): void => {
  if (ws.readyState === WebSocket.OPEN) ws.send(frame, { binary: true });
};

/** Options of {@link runAgent}. */
export interface AgentOptions {
  url: string;
  id: number;
  /** Identities this agent cycles through (returning players). */
  pool: number;
  /** The resume grace of the server, wall ms (a drop resumes within it, or after it now and then). */
  graceMs: number;
  stop: () => boolean;
  t: Traffic;
  /** World joined (default `'1'`). */
  world?: string;
  /** Catalogue item and unit price of `purchase` frames (default the market's `apple` at 3). */
  item?: string;
  price?: number;
  /** Also buy through the market's `buy` game message (default true; false for another game). */
  gameBuys?: boolean;
}

/** One agent: visits until `stop()`. */
export const runAgent = async (o: AgentOptions): Promise<void> => {
  const r = rng(1000 + o.id);
  const { t } = o;
  const resumeOf = new Map<string, string>();
  const usedKeys: string[] = [];
  let n = 0;
  while (!o.stop()) {
    t.visits++;
    n++;
    const fresh = r() < 0.05;
    if (fresh) t.freshIdentities++;
    const token = fresh ? `soak-${o.id}-fresh-${n}` : `soak-${o.id}-${Math.floor(r() * o.pool)}`;
    const kind = r();
    if (kind < 0.04) {
      // A socket that sends only garbage, never a hello.
      t.hostileSockets++;
      const ws = new WebSocket(o.url);
      const done = new Promise<void>((res) => ws.on('close', () => res()));
      ws.on('error', () => {});
      ws.on('open', () => {
        for (let i = 0; i < 3; i++) send(ws, (HOSTILE[Math.floor(r() * HOSTILE.length)] ?? HOSTILE[0])());
        t.hostileFrames += 3;
        setTimeout(() => ws.terminate(), 300);
      });
      await done;
      continue;
    }
    const c = open(
      o.url,
      t,
      token,
      resumeOf.get(token) ?? null,
      (type) => {
        if (type === 21) t.txResults++;
        else if (type === 25) t.receipts++;
      },
      o.world,
    );
    const w = await c.welcome;
    if (!w) {
      await sleep(200);
      continue;
    }
    resumeOf.set(token, w.resumeToken);
    if (resumeOf.size > 64) resumeOf.delete(resumeOf.keys().next().value as string);
    const playMs = 1000 + r() * 5000;
    const until = Date.now() + playMs;
    let seq = 0;
    while (Date.now() < until && !o.stop() && c.ws.readyState === WebSocket.OPEN) {
      seq++;
      send(c.ws, pack([2, seq, r() * 2 - 1, r() * 2 - 1, 0]));
      t.inputs++;
      const a = r();
      const repeat = usedKeys.length > 0 && r() < 0.3;
      const key = repeat ? (usedKeys[Math.floor(r() * usedKeys.length)] ?? 'k') : `k${o.id}-${n}-${seq}`;
      if (!repeat) {
        usedKeys.push(key);
        if (usedKeys.length > 32) usedKeys.shift();
      }
      if (a < 0.08) {
        send(c.ws, pack([4, key, o.item ?? 'apple', 1, o.price ?? 3]));
        t.purchases++;
        if (repeat) t.purchasesRepeated++;
      } else if (a < 0.16 && o.gameBuys !== false) {
        const stall = r() < 0.5 ? 1 : 2;
        send(c.ws, pack([5, 'buy', { stall, item: stall === 1 ? 'apple' : 'potion', quantity: 1, txid: key }]));
        t.gameBuys++;
        if (repeat) t.gameBuysRepeated++;
      } else if (a < 0.2) send(c.ws, pack([3, Date.now()]));
      await sleep(250 + r() * 250);
    }
    const leave = r();
    if (leave < 0.1) {
      // Hostile frames on a joined socket (strikes, then a 4002 close; or 1006 for the oversize frame).
      t.hostileSockets++;
      for (let i = 0; i < 6 && c.ws.readyState === WebSocket.OPEN; i++) {
        send(c.ws, (HOSTILE[Math.floor(r() * HOSTILE.length)] ?? HOSTILE[0])());
        t.hostileFrames++;
        await sleep(20);
      }
      c.ws.terminate();
    } else if (leave < 0.45) {
      // Abrupt drop, then a resume: mostly within the grace, now and then after it.
      t.abruptDrops++;
      c.ws.terminate();
      await c.closed;
      await sleep(r() < 0.85 ? 100 + r() * 500 : o.graceMs + 500);
      const back = open(o.url, t, token, w.resumeToken, () => {}, o.world);
      const w2 = await back.welcome;
      if (w2) resumeOf.set(token, w2.resumeToken);
      await sleep(300 + r() * 700);
      back.ws.close(1000);
      await back.closed;
      continue;
    } else c.ws.close(1000);
    await c.closed;
  }
};

/** Admin traffic: API reads, `/metrics`, a wrong token, unknown paths, until `stop()`. */
export const runAdmin = async (base: string, token: string, t: Traffic, stop: () => boolean): Promise<void> => {
  const r = rng(7);
  const paths = [
    '/api/v1/worlds',
    '/api/v1/worlds/1',
    '/api/v1/worlds/1/stats',
    '/api/v1/worlds/1/scheduler/config',
    '/readyz',
    '/healthz',
  ];
  let i = 0;
  while (!stop()) {
    i++;
    const a = r();
    let path = paths[i % paths.length] ?? '/healthz';
    let auth = token;
    if (a < 0.2) path = '/metrics';
    else if (a < 0.25) auth = `wrong-${i}`;
    else if (a < 0.3) path = `/api/v1/worlds/nope-${i}/stats`;
    else if (a < 0.33) path = `/api/v1/players/soak-${i}/data`;
    try {
      const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${auth}` } });
      await res.arrayBuffer();
      bump(t.adminByStatus, `${res.status} ${auth === token ? '' : 'wrong token '}${path.replace(/-\d+/g, '-N')}`); // /healthz, /readyz: public
    } catch {
      bump(t.adminByStatus, 'failed');
    }
    t.adminRequests++;
    await sleep(200);
  }
};
