/**
 * The crash campaign's final check (bench/crash-campaign.ts): after the drain every player rejoins,
 * and its LIVE wallet (the admin route's `live`) must equal its ledger balance (`balance`, the
 * schema-9 summary row).
 *
 *   0.5 s after the joins: one read per player — recorded as `firstRead` (behind or not, and by
 *        which entries: those above the wallet's watermark), never a violation by itself
 *   then per player, up to 10 s: read again until the watermark reaches the ledger's last `ok` seq;
 *        a wallet that differs then is a violation, reported with both seqs, the difference, the
 *        entries above the watermark and, when one is found, the run of consecutive entries whose
 *        sum is exactly the difference (the entries the wallet lacks, by seq and key)
 *   then `probeMs` of reads of every player: how often a live wallet is behind, and whether each
 *        time the difference is exactly the entries above its watermark (commit-to-step lag), or
 *        not (a wallet that missed entries)
 *
 * Seed 113 (docs/DURABILITY.md, "Crash campaign") read one wallet 135 coins and 54 arrows behind at
 * the first read: 27 `offer-trade` chain rewards (5 coins + 2 arrows each) in size — what this
 * module tells apart.
 */
import { sleep, admin } from './crash-campaign-server.js';
import { labelOf, ledgerIdOf, type PlayerState } from './crash-campaign-players.js';

interface Entry {
  seq: number;
  key: string;
  kind: string;
  status: string;
  item: string | null;
  quantity: number;
  coinsDelta: number;
  createdAt: number;
}
interface Held {
  coins: number;
  items: Record<string, number>;
  appliedSeq: number;
}
interface PlayerBody {
  balance: Held & { lastSeq: number };
  live: Held | null;
  entries: Entry[];
}

/** Coins and items of `a` minus `b` (zero counts left out). */
const minus = (a: { coins: number; items: Record<string, number> }, b: { coins: number; items: Record<string, number> }) => {
  const items: Record<string, number> = {};
  for (const k of new Set([...Object.keys(a.items), ...Object.keys(b.items)])) {
    const d = (a.items[k] ?? 0) - (b.items[k] ?? 0);
    if (d !== 0) items[k] = d;
  }
  return { coins: a.coins - b.coins, items };
};
const sumOf = (es: readonly Entry[]): { coins: number; items: Record<string, number> } => {
  const out = { coins: 0, items: {} as Record<string, number> };
  for (const e of es) {
    out.coins += e.coinsDelta;
    if (e.item !== null && e.quantity) out.items[e.item] = (out.items[e.item] ?? 0) + e.quantity;
  }
  return out;
};
const same = (a: { coins: number; items: Record<string, number> }, b: { coins: number; items: Record<string, number> }): boolean => {
  const d = minus(a, b);
  return d.coins === 0 && Object.keys(d.items).length === 0;
};
/** Key kind for tallies: `chain:offer-trade:…` → `chain:offer-trade`, `buy-1-7` → `buy`, `admin-reward-3` → `admin-reward`. */
const kindOf = (key: string): string => (key.startsWith('chain:') ? key.split(':').slice(0, 2).join(':') : key.replace(/[-:]?\d.*$/, ''));
const brief = (e: Entry): string => `${e.seq}:${e.key}(${e.coinsDelta}${e.item ? `,${e.item}+${e.quantity}` : ''})`;
const tally = (es: readonly Entry[]): Record<string, number> => {
  const t: Record<string, number> = {};
  for (const e of es) t[kindOf(e.key)] = (t[kindOf(e.key)] ?? 0) + 1;
  return t;
};

/**
 * The run of consecutive `ok` entries (in seq order) whose sum is exactly `diff`, the shortest
 * found by prefix sums (null: none). A wallet that lacks one batch of entries shows as one run.
 */
export const lackingRun = (ok: readonly Entry[], diff: { coins: number; items: Record<string, number> }): Entry[] | null => {
  const keys = [...new Set(ok.flatMap((e) => (e.item ? [e.item] : [])).concat(Object.keys(diff.items)))].sort();
  const want = [diff.coins, ...keys.map((k) => diff.items[k] ?? 0)];
  const seen = new Map<string, number>();
  const prefix = [0, ...keys.map(() => 0)];
  seen.set(prefix.join(','), 0);
  let best: [number, number] | null = null;
  for (let j = 0; j < ok.length; j++) {
    const e = ok[j];
    prefix[0] += e.coinsDelta;
    const slot = e.item ? keys.indexOf(e.item) : -1;
    if (slot >= 0) prefix[slot + 1] += e.quantity;
    const target = prefix.map((v, i) => v - (want[i] ?? 0)).join(',');
    const i = seen.get(target);
    if (i !== undefined && (!best || j + 1 - i < best[1] - best[0])) best = [i, j + 1];
    seen.set(prefix.join(','), j + 1);
  }
  return best && best[1] > best[0] ? ok.slice(best[0], best[1]) : null;
};

const readPlayer = async (adminPort: number, st: PlayerState): Promise<PlayerBody | null> => {
  const id = encodeURIComponent(ledgerIdOf(st) ?? '');
  const r = await admin(adminPort, 'GET', `/api/v1/worlds/1/ledger/players/${id}?limit=10000`);
  return r.status === 200 ? (r.json as PlayerBody) : null;
};

/** How a live wallet stands against its ledger in one read. */
export interface WalletRead {
  token: string;
  appliedSeq: number;
  lastSeq: number;
  /** Ledger minus live (zero: equal). */
  behind: { coins: number; items: Record<string, number> };
  /** `ok` entries above the watermark: count, by key kind, and whether their sum is exactly `behind`. */
  above: number;
  aboveKinds: Record<string, number>;
  behindIsAbove: boolean;
}

const readOf = (st: PlayerState, b: PlayerBody): WalletRead | null => {
  if (!b.live) return null;
  const ok = b.entries.filter((e) => e.status === 'ok');
  const above = ok.filter((e) => e.seq > (b.live?.appliedSeq ?? 0));
  const behind = minus(b.balance, b.live);
  return {
    token: labelOf(st),
    appliedSeq: b.live.appliedSeq,
    lastSeq: b.balance.lastSeq,
    behind,
    above: above.length,
    aboveKinds: tally(above),
    behindIsAbove: same(behind, sumOf(above)),
  };
};

/** What the final check found: violations, and the figures of the first read and the probe. */
export interface FinalCheck {
  violations: string[];
  /** The first read of every player whose wallet was behind its ledger (0.5 s after the joins). */
  firstRead: WalletRead[];
  probe: {
    reads: number;
    behind: number;
    maxAbove: number;
    notExplainedByWatermark: WalletRead[];
    /** The first few reads that found a wallet behind (explained or not). */
    samples: WalletRead[];
    /** Commit batches (player, `createdAt`) of `ok` entries committed during the probe: the chances to find a wallet behind. */
    batchesCommitted: number;
  };
  /**
   * Per player, the largest batch of its `ok` entries of one key kind committed together (same
   * `createdAt`: one group commit), e.g. `chain:offer-trade` 27 — what a wallet read between a
   * commit and the step that applies it is behind by.
   */
  largestBatches: Record<string, Record<string, number>>;
}

/** Largest group of entries of one key kind with one `createdAt` (one commit batch), per kind. */
const largestBatches = (ok: readonly Entry[]): Record<string, number> => {
  const n = new Map<string, number>();
  for (const e of ok) n.set(`${kindOf(e.key)}\u0000${e.createdAt}`, (n.get(`${kindOf(e.key)}\u0000${e.createdAt}`) ?? 0) + 1);
  const out: Record<string, number> = {};
  for (const [k, c] of n) {
    const kind = k.split('\u0000')[0] ?? k;
    out[kind] = Math.max(out[kind] ?? 0, c);
  }
  return out;
};

/** Every player rejoined; once caught up, its live wallet must equal its ledger balance. */
export const finalCheck = async (adminPort: number, players: readonly PlayerState[], probeMs = 5000): Promise<FinalCheck> => {
  const out: FinalCheck = {
    violations: [],
    firstRead: [],
    probe: { reads: 0, behind: 0, maxAbove: 0, notExplainedByWatermark: [], samples: [], batchesCommitted: 0 },
    largestBatches: {},
  };
  await sleep(500);
  for (const st of players) {
    const b = await readPlayer(adminPort, st).catch(() => null);
    const r = b && readOf(st, b);
    if (r && !same(r.behind, { coins: 0, items: {} })) out.firstRead.push(r);
  }
  for (const st of players) {
    let body: PlayerBody | null = null;
    // Until the live wallet is caught up to the ledger (its watermark at the last seq; 10 s at most). The route reads
    // the wallet after its store reads: on PostgreSQL a batch committed and applied meanwhile puts the wallet ahead of
    // the ledger it answers (seed 202: watermark 7674, ledger last seq 7532, 21 offer-trade rewards more) — read again.
    for (let i = 0; i < 100; i++) {
      body = await readPlayer(adminPort, st).catch(() => null);
      const live = body?.live;
      if (body && live && live.appliedSeq >= body.balance.lastSeq && (live.appliedSeq === body.balance.lastSeq || same(body.balance, live)))
        break;
      await sleep(100);
    }
    if (!body?.live) {
      out.violations.push(`${labelOf(st)}: no live wallet after the drain`);
      continue;
    }
    const live = body.live;
    const ok = body.entries.filter((e) => e.status === 'ok');
    out.largestBatches[labelOf(st)] = largestBatches(ok);
    if (same(body.balance, live)) continue;
    const diff = minus(body.balance, live);
    const above = ok.filter((e) => e.seq > live.appliedSeq);
    const run = lackingRun(ok, diff);
    out.violations.push(
      `${labelOf(st)}: live ${JSON.stringify({ coins: live.coins, items: live.items })} != ledger ${JSON.stringify({ coins: body.balance.coins, items: body.balance.items })}` +
        ` (ledger minus live ${JSON.stringify(diff)}; live appliedSeq ${live.appliedSeq}, ledger lastSeq ${body.balance.lastSeq}; ` +
        `${above.length} ok entries above the watermark: ${above.slice(0, 20).map(brief).join(' ')}; ` +
        (run
          ? `the wallet lacks exactly seqs ${run[0]?.seq}..${run[run.length - 1]?.seq} (${run.length}: ${JSON.stringify(tally(run))}, committed at ${[...new Set(run.map((e) => e.createdAt))].slice(0, 5).join(',')}): ${run.slice(0, 30).map(brief).join(' ')})`
          : 'no run of consecutive entries sums to the difference)'),
    );
  }
  // Probe: read every player again and again; a wallet behind its ledger must be behind by exactly the entries above its watermark
  // (a wallet ahead of the ledger read, watermark above the ledger's last seq: read order, above — not counted).
  const from = Date.now();
  const until = from + probeMs;
  const batches = new Set<string>();
  while (Date.now() < until) {
    for (const st of players) {
      const b = await readPlayer(adminPort, st).catch(() => null);
      for (const e of b?.entries ?? []) if (e.status === 'ok' && e.createdAt >= from) batches.add(`${st.index}:${e.createdAt}`);
      const r = b && readOf(st, b);
      if (!r || r.appliedSeq > r.lastSeq) continue;
      out.probe.reads++;
      if (same(r.behind, { coins: 0, items: {} })) continue;
      out.probe.behind++;
      out.probe.maxAbove = Math.max(out.probe.maxAbove, r.above);
      if (out.probe.samples.length < 5) out.probe.samples.push(r);
      if (!r.behindIsAbove && out.probe.notExplainedByWatermark.length < 10) out.probe.notExplainedByWatermark.push(r);
    }
    await sleep(20);
  }
  out.probe.batchesCommitted = batches.size;
  return out;
};
