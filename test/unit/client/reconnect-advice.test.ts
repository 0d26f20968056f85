/**
 * `reconnectAdvice`: every close code docs/PROTOCOL.md lists has a decided answer (a code added to the
 * table without one fails here), and the answer follows what the table says of it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CloseCode, reconnectAdvice, type ReconnectAdvice } from '../../../src/client/index.js';

const EXPECTED: Record<number, ReconnectAdvice> = {
  1000: 'stop',
  1001: 'reconnect',
  1006: 'reconnect',
  1013: 'later',
  4001: 'stop',
  4002: 'stop',
  4003: 'reconnect',
  4004: 'stop',
  4008: 'reconnect',
  4009: 'later',
  4011: 'stop',
  4012: 'stop',
  4013: 'later',
  4014: 'reconnect',
  4015: 'reconnect',
  4016: 'reconnect',
  4017: 'stop',
  4018: 'later',
  4019: 'later',
  4020: 'stop',
};

describe('reconnectAdvice', () => {
  it('answers every close code of docs/PROTOCOL.md as the table says', () => {
    const doc = readFileSync(new URL('../../../docs/PROTOCOL.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Close codes'), doc.indexOf('### Connection limits'));
    const codes = [...section.matchAll(/^\| (\d{4}) \|/gm)].map((m) => Number(m[1]));
    expect(codes.length).toBeGreaterThan(15);
    for (const code of codes) expect([code, reconnectAdvice(code)]).toEqual([code, EXPECTED[code]]);
    for (const code of Object.values(CloseCode)) if (code !== CloseCode.SERVER_FULL) expect(codes).toContain(code);
  });

  it('stops on a code it does not know', () => {
    expect(reconnectAdvice(4999)).toBe('stop');
    expect(reconnectAdvice(0)).toBe('stop');
  });
});
