/**
 * The client side of the wire protocol (docs/PROTOCOL.md): a decoded server frame (a msgpack array)
 * to a typed message. The message types and frame builders are in protocol.ts.
 */
import { MsgType, type ReplicatedKinds, type ServerMsg } from './protocol.js';

const parseFieldTable = (v: unknown): ReplicatedKinds | null => {
  if (!Array.isArray(v)) return null;
  const out: ReplicatedKinds = new Map();
  for (const row of v) {
    if (!Array.isArray(row) || typeof row[0] !== 'number' || !Array.isArray(row[1])) continue;
    const names: string[] = [],
      scales: number[] = [];
    for (const f of row[1] as unknown[]) {
      if (!Array.isArray(f)) continue;
      names.push(String(f[0]));
      scales.push(typeof f[1] === 'number' && f[1] !== 0 ? f[1] : 1);
    }
    out.set(row[0], { names, scales });
  }
  return out;
};

const items = (v: unknown): Record<string, number> | null => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(v as Record<string, unknown>)) if (typeof n === 'number') out[k] = n;
  return out;
};

const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);

/** `v` if it is an array of numbers, else null. */
const numbers = (v: unknown): number[] | null => {
  if (!Array.isArray(v)) return null;
  for (const x of v) if (typeof x !== 'number') return null;
  return v as number[];
};

/**
 * `v` if it is an array of rows of at least `min` numbers each (a snapshot's enters and updates, a region
 * frame's entities), else null: such a frame is not a server message (the view code indexes every row).
 */
const rows = (v: unknown, min: number): number[][] | null => {
  if (!Array.isArray(v)) return null;
  for (const r of v) if (numbers(r) === null || (r as number[]).length < min) return null;
  return v as number[][];
};

/**
 * Turn a decoded server frame (a msgpack array) into a typed message, or null when it is not a
 * known server message — or a snapshot or region frame whose rows are not arrays of numbers (before,
 * such a frame made the client library's view code throw out of the socket's message handler: an
 * uncaught exception that ended a Node process). Used by the client library; tolerant of extra
 * trailing fields.
 */
export const parseServerFrame = (a: unknown): ServerMsg | null => {
  if (!Array.isArray(a) || typeof a[0] !== 'number') return null;
  switch (a[0]) {
    case MsgType.WELCOME:
      return {
        type: 16,
        sessionId: num(a[1]),
        playerId: num(a[2]),
        stepRate: num(a[3]),
        worldTime: num(a[4]),
        step: num(a[5]),
        resumeToken: String(a[6]),
        positionScale: num(a[7]),
        interestRadius: num(a[8]),
        resumed: a[9] === true,
        bounds: Array.isArray(a[10]) ? { minX: num(a[10][0]), minY: num(a[10][1]), maxX: num(a[10][2]), maxY: num(a[10][3]) } : null,
        fields: parseFieldTable(a[11]),
      };
    case MsgType.SNAPSHOT: {
      const enter = rows(a[5] ?? [], 5),
        update = rows(a[6] ?? [], 2),
        leave = numbers(a[7] ?? []);
      if (!enter || !update || !leave) return null;
      return { type: 17, step: num(a[1]), worldTime: num(a[2]), sendTime: num(a[3]), ack: num(a[4]), enter, update, leave };
    }
    case MsgType.REGION: {
      const acks = numbers(a[4] ?? []),
        entities = rows(a[8] ?? [], 5);
      if (!acks || !entities || !Number.isSafeInteger(a[7]) || (a[7] as number) < 0) return null; // maxEntities: a length
      return {
        type: 24,
        step: num(a[1]),
        worldTime: num(a[2]),
        sendTime: num(a[3]),
        acks,
        cell: num(a[5]),
        radius: num(a[6]),
        maxEntities: num(a[7]),
        entities,
      };
    }
    case MsgType.EVENT:
      return { type: 18, kind: a[1] as number | string, npc: num(a[2]), at: num(a[3]), expiresAt: num(a[4]) };
    case MsgType.PONG:
      return { type: 19, clientTime: num(a[1]), serverTime: num(a[2]) };
    case MsgType.ERROR:
      return { type: 20, code: String(a[1]), message: String(a[2]) };
    case MsgType.TX_RESULT:
      return {
        type: 21,
        key: String(a[1]),
        status: a[2] === 'ok' ? 'ok' : 'rejected',
        code: typeof a[3] === 'string' ? a[3] : null,
        seq: typeof a[4] === 'number' ? a[4] : null,
        item: typeof a[5] === 'string' ? a[5] : null,
        quantity: num(a[6]),
        coinsDelta: num(a[7]),
        coins: typeof a[8] === 'number' ? a[8] : null,
        items: items(a[9]),
        replayed: a[10] === true,
      };
    case MsgType.WALLET:
      return { type: 22, coins: num(a[1]), items: items(a[2]) ?? {}, appliedSeq: num(a[3]) };
    case MsgType.REDIRECT:
      return { type: 23, worldId: String(a[1]), url: String(a[2]), ticket: String(a[3]) };
    case MsgType.MESSAGE:
      return { type: 25, step: num(a[1]), name: String(a[2]), payload: a[3] };
    default:
      return null;
  }
};
