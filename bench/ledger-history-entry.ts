/**
 * One `ok` ledger entry of a bench's synthetic history (bench/ledger-catchup.ts,
 * bench/ledger-summary-commit.ts): every other entry a reward of 15 coins, the others a purchase
 * of one potion for 10.
 */
import type { LedgerEntryInput } from '../src/store/types.js';

export const historyEntry = (playerId: string, key: string, reward: boolean): LedgerEntryInput => ({
  worldId: 'w1',
  playerId,
  key,
  kind: reward ? 'reward' : 'purchase',
  item: reward ? null : 'potion',
  quantity: reward ? 0 : 1,
  unitPrice: reward ? 0 : 10,
  coinsDelta: reward ? 15 : -10,
  status: 'ok',
  code: null,
  fingerprint: reward ? 'reward|15' : 'purchase|potion|1|10',
  createdAt: Date.now(),
});
