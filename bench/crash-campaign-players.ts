/**
 * The crash campaign's load (bench/crash-campaign.ts): players buying over real WebSocket
 * clients, each with a stable hello token and one purchase in flight, retried with the SAME key
 * after every disconnect or TX_UNAVAILABLE until it has a definitive answer; and an admin
 * rewarder granting coins through the admin API, retried with the same key likewise. What each
 * was told (`ok` + seq) is what the invariants are checked against.
 */
import WebSocket from 'ws';
import { WorldtickClient, type WebSocketCtor } from '../src/client/client.js';
import { playerIdOfToken } from '../src/net/durable-sessions.js';
import { admin, sleep } from './crash-campaign-server.js';

/** One player's view of its history. */
export interface PlayerState {
  index: number;
  token: string;
  resume: string | null;
  /** Acknowledged ok: key → seq told to the client. */
  acked: Map<string, number>;
  pending: string | null;
  next: number;
  joins: number;
  resumed: number;
  /** Joins with a resume token that were not resumed (RESUME_REFUSED), with the iteration. */
  refusals: Array<{ iteration: number; reason: string }>;
  /** Results that broke the protocol (two seqs for one key, unexpected codes). */
  violations: string[];
  /**
   * Ledger player id when it is not the token's: an anonymous player (empty token, a `g:` id the
   * client is never told) learns it from its purchases in the store (bench/crash-campaign-anonymous.ts).
   */
  playerId?: string;
  /** The world the player joins (default `1`). */
  worldId?: string;
  /** Acknowledged keys sent again on purpose ({@link LoadControl.repeatEvery}) and answered with their first seq. */
  repeats?: number;
}

/** The admin rewarder's view. */
export interface RewarderState {
  acked: Map<
    string,
    { playerToken: string; playerId: string; seq: number; at: number; via: number; result: unknown; owner: string | null }
  >;
  /** `worldId`: the world whose reward route grants it (the player's world; default `1`). */
  pending: { key: string; token: string; playerId: string; worldId?: string } | null;
  next: number;
  violations: string[];
  /** Coins per reward (default 1). */
  coins?: number;
  /** Player ids (not campaign players: the anonymous backlog) rewarded every 3rd reward, in turn. */
  extraIds?: string[];
}

/** Shared run flags of the load. */
export interface LoadControl {
  port: number;
  adminPort: number;
  /** Cluster: every instance's game and admin ports (connections rotate over them after a failure). */
  ports?: number[];
  adminPorts?: number[];
  draining: boolean;
  /** Stop at once, pending keys or not (the store is abandoned). */
  abandon: boolean;
  iteration: number;
  /** Players that (re)joined since the flag was reset. */
  joinedSince: Set<number>;
  /** Resume attempts of this iteration: index → resumed? */
  resumeOutcome: Map<number, boolean>;
  /** Every `repeatEvery`th purchase a player sends again a key already acknowledged (0 or absent: never). */
  repeatEvery?: number;
  /** Wall ms between a player's purchases (absent: none). */
  pauseMs?: number;
}

/** `n` players with no history, indexes from `firstIndex` on, tokens `<prefix><i>`. */
export const newPlayers = (n: number, prefix = 'campaign-player-', firstIndex = 0): PlayerState[] =>
  Array.from({ length: n }, (_, i) => ({
    index: firstIndex + i,
    token: `${prefix}${i}`,
    resume: null,
    acked: new Map(),
    pending: null,
    next: 0,
    joins: 0,
    resumed: 0,
    refusals: [],
    violations: [],
  }));

/** Total acknowledged purchases. */
export const ackedCount = (ps: readonly PlayerState[]): number => ps.reduce((n, s) => n + s.acked.size, 0);

/** Wait until the load resumed after a (re)start: every player rejoined and `n` more purchases acknowledged. */
export const waitLoad = async (ctl: LoadControl, players: PlayerState[], n: number, timeoutMs = 20_000): Promise<void> => {
  const before = ackedCount(players);
  const deadline = Date.now() + timeoutMs;
  while ((ctl.joinedSince.size < players.length || ackedCount(players) < before + n) && Date.now() < deadline) await sleep(20);
};

/**
 * Connect `st` (to `port`) and join its world with its token and resume token, keeping count of joins,
 * resumes and refused resumes; `null` (after a short pause) when the server did not answer.
 */
export const connectPlayer = async (st: PlayerState, ctl: LoadControl, port: number): Promise<WorldtickClient | null> => {
  const c = new WorldtickClient({ url: `ws://127.0.0.1:${port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
  try {
    await c.connect();
    let refusal: string | null = null;
    const off = c.on((m) => {
      if (m.type === 20 && m.code === 'RESUME_REFUSED') refusal = String(m.message ?? 'refused');
    });
    const hadResume = st.resume;
    const w = await c.join(st.worldId ?? '1', `p${st.index}`, st.token, st.resume, 4000);
    off();
    st.joins++;
    if (hadResume !== null) {
      if (w.resumed) st.resumed++;
      else st.refusals.push({ iteration: ctl.iteration, reason: refusal ?? 'not resumed' });
      if (!ctl.resumeOutcome.has(st.index)) ctl.resumeOutcome.set(st.index, w.resumed);
    }
    st.resume = w.resumeToken;
    ctl.joinedSince.add(st.index);
    return c;
  } catch {
    c.close();
    await sleep(40);
    return null;
  }
};

/** Run one player until `ctl.draining` and nothing pending. */
export const runPlayer = async (st: PlayerState, ctl: LoadControl): Promise<void> => {
  let attempt = st.index;
  while (!ctl.abandon && (!ctl.draining || st.pending !== null)) {
    const port = ctl.ports ? ctl.ports[attempt++ % ctl.ports.length] : ctl.port;
    const c = await connectPlayer(st, ctl, port);
    if (!c) continue;
    while (c.open && !ctl.abandon && (!ctl.draining || st.pending !== null)) {
      if (ctl.pauseMs) await sleep(ctl.pauseMs);
      if (st.pending === null && ctl.repeatEvery && st.next % ctl.repeatEvery === 0 && st.acked.size > 0 && !ctl.draining) {
        st.next++;
        if (!(await repeatAcked(c, st))) break;
        continue;
      }
      const key = st.pending ?? `buy-${st.index}-${st.next++}`;
      st.pending = key;
      let r;
      try {
        r = await c.purchase(key, 'arrow', 1, 1, 4000);
      } catch {
        break; // no answer: reconnect, retry the same key
      }
      if (r.status === 'ok') {
        const before = st.acked.get(key);
        if (before !== undefined && before !== r.seq) st.violations.push(`key ${key} acknowledged with two seqs ${before} and ${r.seq}`);
        st.acked.set(key, r.seq!);
        st.pending = null;
      } else if (r.code === 'TX_UNAVAILABLE') {
        await sleep(20);
      } else {
        st.violations.push(`unexpected result for ${key}: ${r.code}`);
        st.pending = null;
      }
    }
    c.close();
  }
};

/**
 * Send an acknowledged key of `st` again: the answer must be `ok` with the seq it was first told
 * (replayed from the ledger, nothing applied twice). False when no answer came (reconnect).
 */
const repeatAcked = async (c: WorldtickClient, st: PlayerState): Promise<boolean> => {
  const keys = [...st.acked.keys()];
  const key = keys[Math.floor(Math.random() * keys.length)] ?? '';
  let r;
  try {
    r = await c.purchase(key, 'arrow', 1, 1, 4000);
  } catch {
    return false;
  }
  if (r.code === 'TX_UNAVAILABLE') return true;
  if (r.status !== 'ok' || r.seq !== st.acked.get(key))
    st.violations.push(`repeated key ${key}: told ${r.status} ${r.code ?? ''} seq ${r.seq}, first told seq ${st.acked.get(key)}`);
  st.repeats = (st.repeats ?? 0) + 1;
  return true;
};

/**
 * Grant admin rewards (`rw.coins`, default 1 coin, each) to the players in turn, through the reward route
 * of each player's world, retrying each key until answered.
 */
export const runRewarder = async (rw: RewarderState, players: readonly PlayerState[], ctl: LoadControl): Promise<void> => {
  let attempt = 0;
  while (!ctl.abandon && (!ctl.draining || rw.pending !== null)) {
    if (!rw.pending) {
      const n = rw.next++;
      const extra = rw.extraIds?.length && n % 3 === 2 ? rw.extraIds[Math.floor(n / 3) % rw.extraIds.length] : undefined;
      const p = players[n % players.length];
      const id = extra ?? ledgerIdOf(p);
      if (id === null) {
        await sleep(20); // an anonymous player whose id is not known yet
        continue;
      }
      rw.pending = { key: `admin-reward-${n}`, token: extra === undefined ? p.token : '', playerId: id, worldId: p.worldId ?? '1' };
    }
    const { key, token, playerId, worldId } = rw.pending;
    const adminPort = ctl.adminPorts ? ctl.adminPorts[attempt++ % ctl.adminPorts.length] : ctl.adminPort;
    try {
      const r = await admin(adminPort, 'POST', `/api/v1/worlds/${worldId}/ledger/rewards`, { playerId, key, coins: rw.coins ?? 1 });
      if (r.status === 200) {
        const seq = Number(r.json?.result?.seq);
        const before = rw.acked.get(key);
        if (before && before.seq !== seq) rw.violations.push(`reward ${key} acknowledged with two seqs ${before.seq} and ${seq}`);
        rw.acked.set(key, { playerToken: token, playerId, seq, at: Date.now(), via: adminPort, result: r.json?.result, owner: r.owner });
        rw.pending = null;
      } else if (r.status !== 503) {
        rw.violations.push(`reward ${key}: HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
        rw.pending = null;
      }
    } catch {
      /* server down: retry the same key */
    }
    await sleep(60);
  }
};

/** Ledger player id of a hello token. */
export const playerIdOf = (token: string): string => playerIdOfToken(token);

/** A campaign player's name in reports: its token, or `anonymous-<index>` for an empty one. */
export const labelOf = (st: PlayerState): string => st.token || `anonymous-${st.index}`;

/** Ledger player id of a campaign player: its token's, or an anonymous player's once learned (null before). */
export const ledgerIdOf = (st: PlayerState): string | null => st.playerId ?? (st.token === '' ? null : playerIdOf(st.token));

/** Join every player once more (resuming) and wait for its wallet message: the final check's live wallets. */
export const joinAll = async (port: number, players: readonly PlayerState[], worldId = '1'): Promise<WorldtickClient[]> => {
  const out: WorldtickClient[] = [];
  for (const st of players) {
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await c.connect();
    const wallet = c.waitFor((m) => m.type === 22, 8000);
    await c.join(worldId, 'final', st.token, st.resume, 8000);
    await wallet.catch(() => undefined);
    out.push(c);
  }
  return out;
};
