/**
 * The away backlog's bounds (src/net/game-backlog.ts) and the parking settings' validation
 * (src/net/net-config.ts): the oldest frames go when a new one does not fit the count or the byte
 * bound, a frame over the byte bound is dropped itself, 0 keeps nothing; delivery is in order and
 * counted; a dropped backlog is counted expired.
 */
import { describe, expect, it } from 'vitest';
import { deliverBacklog, dropBacklog, keepForParked } from '../../../src/net/game-backlog.js';
import { createGameOutbox } from '../../../src/net/game-outbox.js';
import { type NetConfig, NET_DEFAULTS, resolveNetConfig } from '../../../src/net/net-config.js';
import type { Parked } from '../../../src/net/session.js';

const parked = (): Parked => ({
  world: null as never,
  player: 1,
  token: 't',
  addr: '',
  backlog: null,
  ledgerId: 'g:x',
  name: 'n',
  expiresAt: 0,
});
const frame = (n: number, size = 10): Uint8Array => new Uint8Array(size).fill(n);

describe('away backlog', () => {
  it('keeps at most parkedBacklogMessages frames, dropping the oldest (counted overflow)', () => {
    const st = createGameOutbox().stats;
    const p = parked();
    for (let n = 1; n <= 5; n++) expect(keepForParked(p, frame(n), { parkedBacklogMessages: 3, parkedBacklogBytes: 1000 }, st)).toBe(true);
    expect(p.backlog?.frames.map((f) => f[0])).toEqual([3, 4, 5]);
    expect(p.backlog?.bytes).toBe(30);
    expect(st).toMatchObject({ backlogged: 5, backlogOverflow: 2 });
  });

  it('keeps at most parkedBacklogBytes bytes, dropping the oldest; a frame over the bound is dropped itself', () => {
    const st = createGameOutbox().stats;
    const p = parked();
    const cfg = { parkedBacklogMessages: 100, parkedBacklogBytes: 25 };
    keepForParked(p, frame(1), cfg, st);
    keepForParked(p, frame(2), cfg, st);
    keepForParked(p, frame(3, 15), cfg, st); // 10 + 10 + 15 > 25: frame 1 goes
    expect(p.backlog?.frames.map((f) => f[0])).toEqual([2, 3]);
    expect(p.backlog?.bytes).toBe(25);
    keepForParked(p, frame(4, 26), cfg, st);
    expect(p.backlog?.frames.map((f) => f[0])).toEqual([2, 3]);
    expect(st).toMatchObject({ backlogged: 3, backlogOverflow: 2 });
  });

  it('0 messages keeps nothing (the caller counts it undelivered); no backlog is allocated', () => {
    const st = createGameOutbox().stats;
    const p = parked();
    expect(keepForParked(p, frame(1), { parkedBacklogMessages: 0, parkedBacklogBytes: 1000 }, st)).toBe(false);
    expect(p.backlog).toBeNull();
  });

  it('delivers in order (counted sent and delivered; a refused frame undelivered), or drops as expired', () => {
    const st = createGameOutbox().stats;
    const p = parked();
    const cfg = { parkedBacklogMessages: 8, parkedBacklogBytes: 1000 };
    for (let n = 1; n <= 3; n++) keepForParked(p, frame(n), cfg, st);
    const out: number[] = [];
    deliverBacklog(
      p,
      (b) => {
        out.push(b[0] ?? 0);
        return b[0] === 2 ? -1 : 1;
      },
      st,
    );
    expect(out).toEqual([1, 2, 3]);
    expect(st).toMatchObject({ backlogDelivered: 2, sent: 2, bytes: 20, undelivered: 1 });
    expect(p.backlog).toBeNull();
    for (let n = 1; n <= 2; n++) keepForParked(p, frame(n), cfg, st);
    dropBacklog(p, st);
    expect(st.backlogExpired).toBe(2);
    expect(p.backlog).toBeNull();
  });
});

describe('parking settings', () => {
  it('defaults: 10,000 parked, 64 per address (loopback exempt), 16 messages / 8 KiB kept per parked player', () => {
    expect(NET_DEFAULTS).toMatchObject({
      maxParked: 10_000,
      maxParkedPerAddress: 64,
      parkedExemptLoopback: true,
      parkedBacklogMessages: 16,
      parkedBacklogBytes: 8192,
    });
  });

  it('refuses bad values with WT_ERR_OPTION_INVALID naming each field', () => {
    const bad = { maxParked: 0, maxParkedPerAddress: -1, parkedBacklogMessages: 1025, parkedBacklogBytes: 1.5 };
    let message = '';
    try {
      resolveNetConfig(bad as Partial<NetConfig>);
    } catch (err) {
      expect((err as { code?: string }).code).toBe('WT_ERR_OPTION_INVALID');
      message = (err as Error).message;
    }
    for (const k of Object.keys(bad)) expect(message).toContain(`net.${k}`);
  });
});
