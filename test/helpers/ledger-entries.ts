/**
 * Ledger entries a test writes straight to a store (`commitLedger`): an `ok` reward of 1 coin to
 * player `p1` in world `w` unless the test says otherwise.
 */
import type { LedgerEntryInput } from '../../src/store/types.js';

/** An `ok` reward entry with key `key`; `o` overrides any field. */
export const rewardEntry = (key: string, o: Partial<LedgerEntryInput> = {}): LedgerEntryInput => ({
  worldId: 'w',
  playerId: 'p1',
  key,
  kind: 'reward',
  item: null,
  quantity: 0,
  unitPrice: 0,
  coinsDelta: 1,
  status: 'ok',
  code: null,
  fingerprint: 'reward|1||0',
  createdAt: Date.now(),
  ...o,
});
