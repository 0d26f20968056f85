/**
 * The ledger in an input log. Live, a `tx` ingest fact (critical lane) applies committed ledger
 * entries — read from the world's ledger service and store — to the `Wallet` component, which the
 * state hash covers. A replay has no store, so the log does not keep the fact (it carries
 * callbacks and a snapshot of an outbox); it keeps the fact's EFFECT on the world, at the fact's
 * place among the step's facts:
 *
 *   [ 'tx', key, [eid, seq, coinsDelta, slot, quantity,  eid, seq, ...] ]
 *                 └──── one wallet change, in apply order ────┘
 *
 * (`slot` = the inventory slot the entry's item takes, -1 for none). The recorder fills the array
 * from the ledger's `walletApplied` hook while the fact applies; the replay world defines a `tx`
 * type of its own ({@link defineReplayedLedger}) that applies exactly those changes through the
 * same write path as the live ledger (`applyWalletEffect`).
 */
import { ensurePlayerRow } from '../../components/player-table.js';
import type { World } from 'bitecs';
import type { WorldCore } from '../core/world-core.js';
import { ErrorCode, WorldtickError } from '../errors.js';
import type { IngestSlot } from '../ingest/ingest-buffers.js';
import { applyWalletEffect } from '../ledger/apply.js';
import { TX_INGEST_TYPE } from '../ledger/world-ledger.js';

/** Numbers per recorded wallet change: eid, seq, coinsDelta, slot, quantity. */
export const WALLET_EFFECT_WIDTH = 5;

/** Is `v` a well-formed list of recorded wallet changes for a world of `capacity` entities? */
const isEffects = (v: unknown, capacity: number): v is number[] => {
  if (!Array.isArray(v) || v.length % WALLET_EFFECT_WIDTH !== 0) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'number' || !Number.isFinite(v[i])) return false;
  for (let i = 0; i < v.length; i += WALLET_EFFECT_WIDTH) {
    const eid = v[i] as number;
    if (!Number.isInteger(eid) || eid < 1 || eid >= capacity) return false;
  }
  return true;
};

/**
 * Define the replay-side `tx` ingest type on a replayed world (which has no ledger): applying a
 * recorded `tx` fact applies its wallet changes, in order. A malformed payload throws
 * `WT_ERR_REPLAY_LOG_INVALID` before changing anything (the ingest counts it as an apply error;
 * the next hash check reports the divergence).
 */
export const defineReplayedLedger = (world: World<WorldCore & IngestSlot>): void => {
  if (world.ingest.has(TX_INGEST_TYPE)) return;
  const stores = world.stores;
  const capacity = world.capacity + 1;
  world.ingest.define(TX_INGEST_TYPE, {
    mode: 'queue',
    lane: 'critical',
    critical: true,
    capacity: 4096,
    hardCapacity: 1 << 18,
    apply: (_w, _key, fact) => {
      if (!isEffects(fact, capacity))
        throw new WorldtickError(ErrorCode.REPLAY_LOG_INVALID, 'a recorded tx fact is not a list of wallet changes');
      for (let i = 0; i < fact.length; i += WALLET_EFFECT_WIDTH) {
        // Recorded by entity id; the replayed world assigns that player the same row (lowest free).
        applyWalletEffect(stores.Wallet, ensurePlayerRow(stores, fact[i]), fact[i + 1], fact[i + 2], fact[i + 3], fact[i + 4]);
      }
    },
  });
};
