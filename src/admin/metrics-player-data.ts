/**
 * Player-data metrics (docs/DURABILITY.md "Player data"): calls by operation, refusals by code and
 * group-commit transactions of the runtime's one player-data service (read through the worlds' slot:
 * every served world points at the same service, so the series carry no world label).
 */
import type { PlayerDataService } from '../player-data/player-data-service.js';
import type { SimWorld } from '../world/sim-world.js';

type Labels = Record<string, string>;
type Put = (labels: Labels, value: number) => void;
type Register = (name: string, help: string, labelNames: string[], fill: (put: Put) => void) => void;

const serviceOf = (worlds: readonly SimWorld[]): PlayerDataService | null => {
  for (const w of worlds) if (w.playerData) return w.playerData;
  return null;
};

/** Register the player-data counters (and, given `gauge`, the retry gauge) through the caller's helpers. */
export const registerPlayerDataMetrics = (worlds: () => readonly SimWorld[], counter: Register, gauge?: Register): void => {
  counter(
    'worldtick_player_data_calls_total',
    'Player-data calls by operation (load, save, delete; admin list, forget).',
    ['op'],
    (put) => {
      const s = serviceOf(worlds())?.stats();
      if (!s) return;
      put({ op: 'load' }, s.loads);
      put({ op: 'save' }, s.saves);
      put({ op: 'delete' }, s.deletes);
      put({ op: 'list' }, s.lists);
      put({ op: 'forget' }, s.forgets);
    },
  );
  counter('worldtick_player_data_unavailable_total', 'Player-data calls answered PD_UNAVAILABLE, by reason.', ['reason'], (put) => {
    const s = serviceOf(worlds())?.stats();
    if (s) for (const [reason, n] of Object.entries(s.unavailable)) put({ reason }, n);
  });
  counter('worldtick_player_data_store_failures_total', 'Player-data store attempts that failed (retried or not).', [], (put) => {
    const s = serviceOf(worlds())?.stats();
    if (s) put({}, s.storeFailures);
  });
  counter(
    'worldtick_player_data_retries_total',
    'Player-data batches attempted again after a store failure (same batch id: exactly once).',
    [],
    (put) => {
      const s = serviceOf(worlds())?.stats();
      if (s) put({}, s.retries);
    },
  );
  counter(
    'worldtick_player_data_recovered_batches_total',
    'Player-data batches committed after at least one failed attempt.',
    [],
    (put) => {
      const s = serviceOf(worlds())?.stats();
      if (s) put({}, s.recoveredBatches);
    },
  );
  gauge?.('worldtick_player_data_retrying', 'Player-data calls in a batch waiting for the store to come back.', [], (put) => {
    const s = serviceOf(worlds())?.stats();
    if (s) put({}, s.retrying);
  });
  counter('worldtick_player_data_rejected_total', 'Player-data calls refused, by PD_* code.', ['code'], (put) => {
    const s = serviceOf(worlds())?.stats();
    if (s) for (const [code, n] of Object.entries(s.rejected)) put({ code }, n);
  });
  counter('worldtick_player_data_batches_total', 'Player-data group-commit transactions.', [], (put) => {
    const s = serviceOf(worlds())?.stats();
    if (s) put({}, s.batches);
  });
};
