import { describe, expect, it } from 'vitest';
import { signTicket, TICKET_LIMITS, verifyTicket, verifyTicketSecret } from '../../../src/cluster/ticket.js';
import { ErrorCode } from '../../../src/errors.js';

const secret = 'cluster-secret-0123456789';
const now = 1_700_000_000_000;
const payload = { worldId: 'w1', playerId: 'p7', resumeToken: 'r-abc', target: 'inst-b', expiresAt: now + 10_000 };

const tamper = (t: string, at: number): string => {
  const c = t[at] === 'A' ? 'B' : 'A';
  return t.slice(0, at) + c + t.slice(at + 1);
};

describe('redirect tickets', () => {
  it('round-trips: verify returns exactly the signed payload; URL-safe text', () => {
    const t = signTicket(payload, secret);
    expect(t).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(verifyTicket(t, secret, { now, expectedTarget: 'inst-b' })).toEqual(payload);
    const minimal = { worldId: 'w1', target: 'inst-b', expiresAt: now + 1 };
    expect(verifyTicket(signTicket(minimal, secret), secret, { now })).toEqual(minimal);
  });

  it('only known fields are signed', () => {
    const extra = { ...payload, admin: true } as typeof payload;
    expect(verifyTicket(signTicket(extra, secret), secret, { now })).toEqual(payload);
  });

  it('refuses a wrong secret, a changed payload or signature, with reason "signature"', () => {
    const t = signTicket(payload, secret);
    const dot = t.lastIndexOf('.');
    const cases = [
      () => verifyTicket(t, 'another-secret-0123456789', { now }),
      () => verifyTicket(tamper(t, 5), secret, { now }),
      () => verifyTicket(tamper(t, dot + 3), secret, { now }),
      () => verifyTicket(`${t.slice(0, dot)}.${signTicket({ ...payload, worldId: 'w2' }, secret).split('.')[2]}`, secret, { now }),
      () => verifyTicket(t.slice(0, -2), secret, { now }),
    ];
    for (const f of cases) expect(f).toThrow(expect.objectContaining({ code: ErrorCode.TICKET_INVALID, details: { reason: 'signature' } }));
  });

  it('refuses malformed input with reason "format"', () => {
    for (const bad of [undefined, 42, '', 'v1', 'v1.a', 'v2.a.b', 'v1.a.b.c', 'v1.a+b.c', 'x'.repeat(TICKET_LIMITS.maxLength + 1)]) {
      expect(() => verifyTicket(bad, secret, { now })).toThrow(
        expect.objectContaining({ code: ErrorCode.TICKET_INVALID, details: { reason: 'format' } }),
      );
    }
  });

  it('refuses a correctly signed body that is not a valid payload, with reason "payload"', async () => {
    const { createHmac } = await import('node:crypto');
    const sign = (json: string): string => {
      const s = `v1.${Buffer.from(json).toString('base64url')}`;
      return `${s}.${createHmac('sha256', secret).update(s).digest('base64url')}`;
    };
    for (const json of ['not json', '[1]', '{"worldId":"w1","target":"t"}', '{"worldId":5,"target":"t","expiresAt":1}']) {
      expect(() => verifyTicket(sign(json), secret, { now })).toThrow(
        expect.objectContaining({ code: ErrorCode.TICKET_INVALID, details: { reason: 'payload' } }),
      );
    }
    expect(verifyTicket(sign(`{"worldId":"w1","target":"t","expiresAt":${now + 1}}`), secret, { now })).toEqual({
      worldId: 'w1',
      target: 't',
      expiresAt: now + 1,
    });
  });

  it('expires at expiresAt (WT_ERR_TICKET_EXPIRED); refuses another target', () => {
    const t = signTicket(payload, secret);
    expect(verifyTicket(t, secret, { now: payload.expiresAt - 1 }).worldId).toBe('w1');
    expect(() => verifyTicket(t, secret, { now: payload.expiresAt })).toThrow(
      expect.objectContaining({ code: ErrorCode.TICKET_EXPIRED, details: { expiresAt: payload.expiresAt, now: payload.expiresAt } }),
    );
    expect(() => verifyTicket(t, secret, { now, expectedTarget: 'inst-c' })).toThrow(
      expect.objectContaining({ code: ErrorCode.TICKET_INVALID, details: { reason: 'target' } }),
    );
  });

  it('refuses a short secret and a bad payload at signing, listing every problem', () => {
    expect(() => signTicket(payload, 'short')).toThrow(expect.objectContaining({ code: ErrorCode.OPTION_INVALID }));
    expect(() => verifyTicket('v1.a.b', 'short')).toThrow(expect.objectContaining({ code: ErrorCode.OPTION_INVALID }));
    expect(() => signTicket({ worldId: '', target: 't', expiresAt: 1.5 }, secret)).toThrow(
      expect.objectContaining({
        code: ErrorCode.OPTION_INVALID,
        details: { problems: ['ticket.worldId must be a string of 1-256 characters', 'ticket.expiresAt must be an integer (epoch ms)'] },
      }),
    );
  });

  it('accepts a binary secret', () => {
    const key = new Uint8Array(32).fill(7);
    expect(verifyTicket(signTicket(payload, key), key, { now })).toEqual(payload);
  });

  describe('an accept-only previous secret (a rotation of the secret)', () => {
    const previous = 'previous-secret-0123456789';

    it('accepts a ticket signed with the previous secret, and says it was', () => {
      const old = signTicket(payload, previous);
      expect(verifyTicket(old, secret, { now, expectedTarget: 'inst-b', previousSecret: previous })).toEqual(payload);
      expect(verifyTicketSecret(old, secret, { now, previousSecret: previous })).toEqual({ payload, secret: 'previous' });
      expect(verifyTicketSecret(signTicket(payload, secret), secret, { now, previousSecret: previous })).toEqual({
        payload,
        secret: 'current',
      });
      // Without it, the same ticket is refused.
      expect(() => verifyTicket(old, secret, { now })).toThrow(
        expect.objectContaining({ code: ErrorCode.TICKET_INVALID, details: { reason: 'signature' } }),
      );
    });

    it('still refuses a ticket signed by an unknown secret, and keeps the expiry and target checks', () => {
      const o = { now, previousSecret: previous };
      expect(() => verifyTicket(signTicket(payload, 'another-secret-0123456789'), secret, o)).toThrow(
        expect.objectContaining({ code: ErrorCode.TICKET_INVALID, details: { reason: 'signature' } }),
      );
      const old = signTicket(payload, previous);
      expect(() => verifyTicket(old, secret, { ...o, now: payload.expiresAt })).toThrow(
        expect.objectContaining({ code: ErrorCode.TICKET_EXPIRED }),
      );
      expect(() => verifyTicket(old, secret, { ...o, expectedTarget: 'inst-c' })).toThrow(
        expect.objectContaining({ code: ErrorCode.TICKET_INVALID, details: { reason: 'target' } }),
      );
    });

    it('refuses a short previous secret', () => {
      expect(() => verifyTicket(signTicket(payload, secret), secret, { now, previousSecret: 'short' })).toThrow(
        expect.objectContaining({ code: ErrorCode.OPTION_INVALID }),
      );
    });
  });
});
