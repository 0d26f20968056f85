/**
 * Anonymous players in the crash campaign (bench/crash-campaign.ts `--anonymous N --aged-anonymous M`;
 * docs/DURABILITY.md "Anonymous players" and "Crash campaign").
 *
 * - `--anonymous N`: N more players whose hello has an empty token (a `g:` id each, resumed with its
 *   resume token like the others). The client is never told its ledger id: it is learned from the
 *   store, as the player id of its purchases (keys `buy-<index>-…`, which no other player uses).
 * - `--aged-anonymous M`: before every start, M `g:` players are written with raw SQL as an earlier
 *   process would have left them — a `players` row last written 11 minutes ago, two `player_data`
 *   rows, no session record — so the prune (`Store.pruneAnonymousPlayers`, the first session sweep
 *   of each life, then once a minute) has work in every life, under the purchases and the kill. The
 *   prune's 10-minute idle rule is not changed: a player the campaign creates and abandons would
 *   need a run longer than 10 minutes plus its grace to become prunable. Every third admin reward
 *   goes to one of these ids (the ledger keeps them: checked like every acknowledged reward).
 *
 * After every kill, with raw SQL: no `player_data` row of a backlog player whose `players` row is
 * gone (the prune deletes both in one transaction), no `players` row of a campaign player (named or
 * anonymous, live or parked in its grace) gone once it was seen.
 */
import { ledgerIdOf, type PlayerState, type RewarderState } from './crash-campaign-players.js';
import { killServer, type ServerProc, sleep } from './crash-campaign-server.js';
import { rawOf } from './crash-campaign-upgrade.js';

type StoreKind = 'sqlite' | 'postgres';

/** The backlog and what the checks saw of it. */
export interface AnonymousState {
  /** Backlog ids written so far (every start adds its batch). */
  agedIds: string[];
  /** Campaign players' ids whose `players` row was seen (must never go). */
  seen: Set<string>;
  /** Backlog players whose rows the prune deleted (as seen after each kill). */
  pruned: number;
}

export const newAnonymousState = (): AnonymousState => ({ agedIds: [], seen: new Set(), pruned: 0 });

/** The same players with an empty hello token (anonymous). */
export const anonymousPlayers = (players: PlayerState[]): PlayerState[] => players.map((p) => ({ ...p, token: '' }));

const AGE_MS = 11 * 60_000;

/** Write `m` backlog players (store exists, server down or up); their ids join `st.agedIds`. */
export const seedAged = async (kind: StoreKind, where: string, st: AnonymousState, m: number, tag: number): Promise<void> => {
  if (m <= 0) return;
  const raw = await rawOf({ store: kind }, where);
  try {
    const old = Date.now() - AGE_MS;
    const ids = Array.from({ length: m }, (_, k) => `g:aged${String(tag).padStart(4, '0')}x${String(k).padStart(14, '0')}`);
    const rows = ids.map((id, k) => `('${id}', 'aged', '{}', ${old - k}, ${old - k})`).join(', ');
    const data = ids.flatMap((id) => [`('${id}', 'a', '1', 1, 1, ${old})`, `('${id}', 'b', '2', 1, 1, ${old})`]).join(', ');
    await raw.exec(
      `BEGIN; INSERT INTO players (id, name, data, created_at, updated_at) VALUES ${rows};
      INSERT INTO player_data (player_id, data_key, value, version, size, updated_at) VALUES ${data}; COMMIT`,
    );
    st.agedIds.push(...ids);
  } finally {
    await raw.close();
  }
};

/**
 * Learn anonymous players' ledger ids from their purchases (raw ledger rows of the store a kill
 * left). Violations: one player's purchases under two ids.
 */
export const learnAnonymousIds = (
  ledger: ReadonlyArray<{ playerId: string; key: string; kind: string }>,
  players: PlayerState[],
): string[] => {
  const out: string[] = [];
  for (const st of players) {
    if (st.token !== '') continue;
    const prefix = `buy-${st.index}-`;
    const ids = new Set(ledger.filter((e) => e.kind === 'purchase' && e.key.startsWith(prefix)).map((e) => e.playerId));
    if (st.playerId) ids.add(st.playerId);
    if (ids.size > 1) out.push(`anonymous player ${st.index}: purchases under ${ids.size} ids ${[...ids].join(', ')}`);
    const [first] = ids;
    if (!st.playerId && first !== undefined) st.playerId = first;
  }
  return out;
};

/** `--prune-kills`: a kill 0-800 ms after the server answered, i.e. around its first prune pass (250 ms after its start). */
export const killEarly = async (proc: ServerProc, rand: (lo: number, hi: number) => number): Promise<{ ms: number; note: string }> => {
  const ms = rand(0, 800);
  await sleep(ms);
  await killServer(proc);
  return { ms, note: `killed ${Math.round(ms)} ms after the server answered (prune window)` };
};

/** The after-kill checks above; counts the backlog players pruned so far into `st.pruned`. */
export const checkAnonymous = async (
  kind: StoreKind,
  where: string,
  st: AnonymousState,
  players: PlayerState[],
): Promise<{ violations: string[]; note: string }> => {
  const raw = await rawOf({ store: kind }, where);
  try {
    const out: string[] = [];
    const ids = new Set((await raw.all('SELECT id FROM players')).map((r) => String(r.id)));
    const dataOf = new Map<string, number>();
    for (const r of await raw.all('SELECT player_id, count(*) AS n FROM player_data GROUP BY player_id'))
      dataOf.set(String(r.player_id), Number(r.n));
    let gone = 0;
    for (const id of st.agedIds) {
      if (ids.has(id)) continue;
      gone++;
      if (dataOf.get(id)) out.push(`backlog player ${id}: players row pruned, ${dataOf.get(id)} player_data row(s) left (half a prune)`);
    }
    // Each prune transaction deletes 250 (ANONYMOUS_PRUNE_CHUNK) while more are there: a life's count is a multiple of it, or all.
    const life = gone - st.pruned;
    if (life % 250 !== 0 && gone < st.agedIds.length) out.push(`${life} backlog players pruned in one life: not whole transactions of 250`);
    st.pruned = gone;
    for (const p of players) {
      const pid = ledgerIdOf(p);
      if (pid === null) continue;
      if (ids.has(pid)) st.seen.add(pid);
      else if (st.seen.has(pid)) out.push(`campaign player ${p.index} (${pid}): players row gone (pruned a player that can resume)`);
    }
    const anon = [...ids].filter((id) => id.startsWith('g:') && !id.startsWith('g:aged')).length;
    return { violations: out, note: `; backlog ${st.agedIds.length}, pruned ${gone} (${life} in this life), live anonymous rows ${anon}` };
  } finally {
    await raw.close();
  }
};

/** The summary's `anonymous` figures: players, backlog written and pruned, rewards acknowledged to the backlog. */
export const anonymousSummary = (st: AnonymousState, rw: RewarderState, players: number, perStart: number): Record<string, number> => ({
  players,
  backlogPerStart: perStart,
  backlog: st.agedIds.length,
  pruned: st.pruned,
  rewardsToBacklog: [...rw.acked.values()].filter((r) => r.playerId.startsWith('g:aged')).length,
});
