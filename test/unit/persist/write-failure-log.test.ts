/**
 * The level of a failed world record or checkpoint write (src/persist/write-failure-log.ts,
 * docs/ADMIN.md "Logs"): error means act on it. A fenced write (the world moved) and a short
 * outage are warnings; an outage that lasts, a disk that is full, or any other failure is an error.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { storeFenced, storeUnavailable } from '../../../src/errors.js';
import { createLogger } from '../../../src/log.js';
import { logWriteFailure, STORE_OUTAGE_ERROR_MS } from '../../../src/persist/write-failure-log.js';
import { collectJsonLines } from '../../helpers/log-lines.js';

const logged = async (err: unknown, failingMs: number, owner: string | null = null) => {
  const out = new PassThrough();
  const lines = collectJsonLines(out);
  logWriteFailure(createLogger('info', out), 'checkpoint', err, { world: 'w1' }, failingMs, owner);
  await new Promise((r) => setImmediate(r));
  return lines[0] ?? {};
};

describe('write failure log levels', () => {
  it('a fenced write: warn, naming the new owner and both tokens', async () => {
    expect(await logged(storeFenced('w1', 3, 5), 0, 'b')).toMatchObject({
      level: 40,
      reason: 'fenced',
      owner: 'b',
      msg: 'checkpoint refused: world w1 moved to instance b (fencing token 3 < 5); dropped, as designed',
    });
    expect((await logged(storeFenced('w1', 3, 5), 0)).msg).toContain('moved to another instance');
  });

  it('a passing outage: warn until it lasts STORE_OUTAGE_ERROR_MS, then error', async () => {
    const err = storeUnavailable('connection', 'Connection terminated unexpectedly');
    expect(await logged(err, 0)).toMatchObject({ level: 40, msg: 'checkpoint failed', reason: 'unavailable', storeReason: 'connection' });
    expect(await logged(err, STORE_OUTAGE_ERROR_MS - 1)).toMatchObject({ level: 40 });
    expect(await logged(err, STORE_OUTAGE_ERROR_MS)).toMatchObject({ level: 50, failingMs: STORE_OUTAGE_ERROR_MS });
  });

  it('a full or read-only disk, and anything else: error at the first failure', async () => {
    expect(await logged(storeUnavailable('full', 'database or disk is full'), 0)).toMatchObject({ level: 50, storeReason: 'full' });
    expect(await logged(storeUnavailable('readonly', 'attempt to write a readonly database'), 0)).toMatchObject({ level: 50 });
    expect(await logged(new Error('bug'), 0)).toMatchObject({ level: 50, msg: 'checkpoint failed' });
  });
});
