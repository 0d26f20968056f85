/**
 * The session sweep in the crash campaign (bench/crash-campaign.ts `--expired-sessions K`;
 * docs/DURABILITY.md "Crash campaign").
 *
 * Before every start, K expired session records are written with raw SQL as an earlier process would
 * have left them (expired an hour ago, parked, players `x:exp…` that no one resumes), plus K / 100
 * records still resumable for two hours (`x:keep…`, a world no one deletes), so the sweep
 * (`DurableSessions.prune`: paced transactions, the first of {@link SESSION_PRUNE_CHUNK}, oldest expiry first, taking
 * turns in the session write queue with the campaign players' resumes and hellos) has work in every
 * life; `--prune-kills` kills lives around it.
 *
 * After every kill, with raw SQL: every resumable record written is still there; every campaign
 * player whose session record was seen still has one (a player who resumed keeps its session); the
 * expired backlog's deleted records are always the oldest (what is left is a suffix by expiry); and
 * a life that deleted any deleted at least the pass's whole first transaction ({@link SESSION_PRUNE_CHUNK};
 * later ones are sized by the sweep's pace, src/net/session-sweep.ts) unless nothing of the backlog is left.
 */
import { SESSION_PRUNE_CHUNK } from '../src/store/bounded-prune.js';
import { ledgerIdOf, type PlayerState } from './crash-campaign-players.js';
import { rawOf } from './crash-campaign-upgrade.js';

type StoreKind = 'sqlite' | 'postgres';

const HOUR = 3_600_000;

/** The backlogs written and what the checks saw. */
export interface SessionSweepState {
  /** Expired tokens written so far, in expiry order (oldest first). */
  expired: string[];
  /** Resumable tokens written so far (must never go). */
  keep: string[];
  /** Expired backlog records deleted (as seen after each kill). */
  swept: number;
  /** Deleted per life, in order. */
  perLife: number[];
  /** Campaign players whose session record was seen. */
  seen: Set<string>;
  /** Expiry of the first expired record (ten hours before the first start): the backlog's expiries count up from it. */
  base: number;
}

export const newSessionSweepState = (): SessionSweepState => ({
  expired: [],
  keep: [],
  swept: 0,
  perLife: [],
  seen: new Set(),
  base: Date.now() - 10 * HOUR,
});

const ROWS_PER_INSERT = 1000;

/** Write `k` expired and `k / 100` resumable records (store exists, server down). */
export const seedExpiredSessions = async (kind: StoreKind, where: string, st: SessionSweepState, k: number, tag: number): Promise<void> => {
  if (k <= 0) return;
  const raw = await rawOf({ store: kind }, where);
  try {
    const now = Date.now();
    // Older starts' records expire earlier: the whole backlog is ordered by expiry across starts.
    const first = st.base + st.expired.length;
    const rows: string[] = [];
    const expired: string[] = [];
    const keep: string[] = [];
    for (let j = 0; j < k; j++) {
      const token = `exp${String(tag).padStart(4, '0')}x${String(j).padStart(8, '0')}`;
      expired.push(token);
      rows.push(`('${token}', 'x:${token}', 'w-expired', ${first + j}, '{"live":false,"boot":"old"}')`);
      if (j % 100 === 0) {
        const kt = `keep${String(tag).padStart(4, '0')}x${String(j).padStart(8, '0')}`;
        keep.push(kt);
        rows.push(`('${kt}', 'x:${kt}', 'w-keep', ${now + 2 * HOUR}, '{"live":false,"boot":"old"}')`);
      }
    }
    const stmts: string[] = [];
    for (let a = 0; a < rows.length; a += ROWS_PER_INSERT)
      stmts.push(
        `INSERT INTO sessions (token, player_id, world_id, expires_at, data) VALUES ${rows.slice(a, a + ROWS_PER_INSERT).join(', ')}`,
      );
    await raw.exec(`BEGIN; ${stmts.join('; ')}; COMMIT`);
    st.expired.push(...expired);
    st.keep.push(...keep);
  } finally {
    await raw.close();
  }
};

/** The after-kill checks above; counts the swept backlog into `st.swept`. */
export const checkSessionSweep = async (
  kind: StoreKind,
  where: string,
  st: SessionSweepState,
  players: PlayerState[],
): Promise<{ violations: string[]; note: string }> => {
  if (st.expired.length === 0) return { violations: [], note: '' };
  const raw = await rawOf({ store: kind }, where);
  try {
    const out: string[] = [];
    const rows = await raw.all('SELECT token, player_id FROM sessions');
    const tokens = new Set(rows.map((r) => String(r.token)));
    const byPlayer = new Set(rows.map((r) => String(r.player_id)));
    const lostKeep = st.keep.filter((t) => !tokens.has(t));
    if (lostKeep.length)
      out.push(
        `${lostKeep.length} resumable session record(s) deleted (first ${lostKeep.slice(0, 3).join(', ')}): the sweep took a live record`,
      );
    // Oldest first: once one expired record is left, every later one must be too.
    let gone = 0;
    let firstLeft = -1;
    let disorder = '';
    for (let j = 0; j < st.expired.length; j++) {
      if (tokens.has(st.expired[j] ?? '')) {
        if (firstLeft < 0) firstLeft = j;
      } else {
        gone++;
        if (firstLeft >= 0 && disorder === '')
          disorder = `expired record ${st.expired[j]} deleted while the older ${st.expired[firstLeft]} is left (not oldest first)`;
      }
    }
    if (disorder) out.push(disorder);
    const life = gone - st.swept;
    // A pass's transactions are sized by its pace (src/net/session-sweep.ts), its first one SESSION_PRUNE_CHUNK:
    // a life that deleted any deleted at least that whole first transaction (unless the backlog is gone).
    if (life > 0 && life < SESSION_PRUNE_CHUNK && gone < st.expired.length)
      out.push(`${life} expired session records swept in one life: less than the first whole transaction of ${SESSION_PRUNE_CHUNK}`);
    st.swept = gone;
    st.perLife.push(life);
    for (const p of players) {
      const pid = ledgerIdOf(p);
      if (pid === null) continue;
      if (byPlayer.has(pid)) st.seen.add(pid);
      else if (st.seen.has(pid)) out.push(`campaign player ${p.index} (${pid}): no session record left (swept a resumable player)`);
    }
    return {
      violations: out,
      note: `; expired backlog ${st.expired.length}, swept ${gone} (${life} in this life), resumable kept ${st.keep.length - lostKeep.length}/${st.keep.length}, campaign players with a session record ${st.seen.size}`,
    };
  } finally {
    await raw.close();
  }
};

export const sessionSweepSummary = (st: SessionSweepState, perStart: number): Record<string, unknown> => ({
  expiredPerStart: perStart,
  expired: st.expired.length,
  swept: st.swept,
  resumable: st.keep.length,
  perLife: st.perLife,
});
