/**
 * Values of a damaged log shown in its refusal: a value msgpack decodes to something a template
 * string or JSON.stringify cannot print (a bigint, an object whose `toString` is no function) must
 * still give the coded refusal, never a TypeError (fuzz seed 80256: `Cannot convert object to
 * primitive value` from a header whose version was such an array).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, WorldtickError } from '../../../src/errors.js';
import { shown } from '../../../src/core/shown.js';
import { createLogPackr, LOG_VERSION, readLog } from '../../../src/replay/log-format.js';

const dir = mkdtempSync(join(tmpdir(), 'wt-log-values-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A one-frame log whose header's version is `version`; returns readLog's refusal. */
const refusalOf = (name: string, version: unknown): WorldtickError => {
  const path = join(dir, `${name}.wtlog`);
  writeFileSync(path, createLogPackr().pack({ t: 'header', version, recipe: {}, hashEvery: 1, startedAt: 0 }));
  try {
    readLog(path);
  } catch (err) {
    if (err instanceof WorldtickError) return err;
    throw new Error(`not a coded refusal: ${(err as Error).name} ${(err as Error).message}`);
  }
  throw new Error('the log was read');
};

describe('a damaged log header version', () => {
  it('an array holding an object whose toString is a string: refused with the value shown', () => {
    const e = refusalOf('tostring', [[268], { toString: 'H' }]);
    expect(e.code).toBe(ErrorCode.REPLAY_LOG_INVALID);
    expect(e.message).toContain(`log version [[268],{"toString":"H"}] is not supported (expected 2..${LOG_VERSION})`);
  });

  it('a 64-bit integer (decoded as a bigint), NaN, a fraction and a version out of range: refused with the number', () => {
    expect(refusalOf('bigint', 2n ** 64n - 1n).message).toContain('log version 18446744073709551615 is not supported');
    expect(refusalOf('nan', Number.NaN).message).toContain('log version NaN is not supported');
    expect(refusalOf('fraction', 2.5).message).toContain('log version 2.5 is not supported');
    expect(refusalOf('next', LOG_VERSION + 1).message).toContain(`log version ${LOG_VERSION + 1} is not supported`);
  });
});

describe('shown', () => {
  it('prints what a template string or JSON.stringify alone would throw on, cut at max characters', () => {
    expect(shown({ a: [1n, { toString: 'x' }] })).toBe('{"a":["1",{"toString":"x"}]}');
    expect(shown(undefined)).toBe('undefined');
    expect(shown('a'.repeat(100)).length).toBe(40);
    expect(shown('a'.repeat(100), 80).length).toBe(80);
    expect(shown(Number.POSITIVE_INFINITY)).toBe('Infinity');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(shown(cyclic)).toBe('object');
  });
});
