/**
 * How the logger writes an error that wraps another (src/log.ts): its own message once, and its
 * cause as a nested object with the cause's code. pino's default serializer appended every cause's
 * message to the error's, so a wrapped error whose message already names its cause read twice.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ErrorCode, WorldtickError } from '../../../src/errors.js';
import { createLogger } from '../../../src/log.js';

const lines = (out: PassThrough): Record<string, unknown>[] =>
  String(out.read() ?? '')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('logged errors', () => {
  it('writes a wrapped error with its own message once and its cause nested, with the cause code', () => {
    const out = new PassThrough();
    const logger = createLogger('info', out);
    const disk = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    const err = new WorldtickError(ErrorCode.STORE_UNAVAILABLE, `checkpoint write failed: ${disk.message}`, {
      cause: disk,
      details: { worldId: '1' },
    });
    logger.error({ err }, 'checkpoint failed');
    logger.flush();
    const [line] = lines(out);
    const logged = line?.err as Record<string, unknown> | undefined;
    expect(logged?.message).toBe('checkpoint write failed: ENOSPC: no space left on device');
    expect(logged?.code).toBe('WT_ERR_STORE_UNAVAILABLE');
    expect(logged?.details).toEqual({ worldId: '1' });
    expect(logged?.cause).toMatchObject({ type: 'Error', message: 'ENOSPC: no space left on device', code: 'ENOSPC' });
  });

  it('writes an error without a cause as before: type, message, stack', () => {
    const out = new PassThrough();
    const logger = createLogger('info', out);
    logger.warn({ err: new TypeError('bad thing') }, 'oops');
    logger.flush();
    const [line] = lines(out);
    const logged = line?.err as Record<string, unknown> | undefined;
    expect(logged).toMatchObject({ type: 'TypeError', message: 'bad thing' });
    expect(String(logged?.stack)).toMatch(/^TypeError: bad thing\n/);
    expect(logged).not.toHaveProperty('cause');
  });
});
