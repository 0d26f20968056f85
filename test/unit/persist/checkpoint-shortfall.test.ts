/**
 * Why a checkpoint asked for by a migration's handover is not one of the world at its step
 * (src/persist/checkpoint-report.ts `checkpointShortfall`; docs/CLUSTER.md "Migration", step 3). Before,
 * the migration answered `checkpoint of 1 failed: not tracked` for a tracked world whose checkpoint was
 * skipped because the lease could not be proven at that moment (seen on a loaded machine).
 */
import { describe, expect, it } from 'vitest';
import { checkpointShortfall } from '../../../src/persist/checkpoint-report.js';

describe('checkpointShortfall', () => {
  it('is null only for a checkpoint saved at the step asked for', () => {
    expect(checkpointShortfall({ status: 'saved', step: 12, bytes: 300 }, 12)).toBeNull();
    expect(checkpointShortfall({ status: 'saved', step: 11, bytes: 300 }, 12)).toBe('saved step 11, the world is at step 12');
  });

  it('names the reason for each other outcome', () => {
    expect(checkpointShortfall({ status: 'not-owner' }, 5)).toMatch(
      /^this instance could not prove its lease at that moment .*nothing written$/,
    );
    expect(checkpointShortfall({ status: 'untracked' }, 5)).toBe('the world is not tracked here (deleted meanwhile)');
    expect(checkpointShortfall({ status: 'failed', error: new Error('store unavailable (connection): boom') }, 5)).toBe(
      'store unavailable (connection): boom',
    );
    expect(checkpointShortfall({ status: 'failed', error: 'x'.repeat(500) }, 5)).toHaveLength(200);
  });
});
