import { describe, expect, it } from 'vitest';
import { resolveNetConfig } from '../../../src/net/net-config.js';
import {
  classFromToken,
  cooldownOf,
  loadLevel,
  pressureOf,
  SessionClass,
  sessionPriority,
  updateLadder,
} from '../../../src/net/session-priority.js';
import { deferLimit } from '../../../src/net/replicate-phase.js';
import { createConn, createSession } from '../../../src/net/session.js';

const cfg = resolveNetConfig({ ladderDownBytes: 1000, ladderHoldSteps: 3, ladderUpSteps: 2, activeInputMs: 1000, crowdPlayers: 5 });
const mk = (cls: number) => createSession(createConn(1, 0, 1), 'w', 1, 'n', 't', 80, cls);

describe('session priority', () => {
  it('classes come from the token by default', () => {
    expect(classFromToken('')).toBe('player');
    expect(classFromToken('abc')).toBe('player');
    expect(classFromToken('spectator')).toBe('spectator');
    expect(classFromToken('bot:42')).toBe('bot');
    expect(classFromToken('observer:x:y')).toBe('observer');
    expect(classFromToken('spectators')).toBe('player');
  });

  it('orders bots/observers < spectators < idle players < active players < active players in a crowd', () => {
    const now = 10_000;
    const bot = mk(SessionClass.bot),
      obs = mk(SessionClass.observer),
      spec = mk(SessionClass.spectator);
    const idle = mk(SessionClass.player),
      active = mk(SessionClass.player),
      crowded = mk(SessionClass.player);
    idle.lastInputAt = now - 5000;
    active.lastInputAt = now - 100;
    crowded.lastInputAt = now - 100;
    crowded.crowd = 5;
    const p = [bot, obs, spec, idle, active, crowded].map((s) => sessionPriority(s, cfg, now));
    expect(p).toEqual([0, 0, 1, 2, 3, 4]);
    // Degradation under pressure: lowest priority first, players never past level 2 (no cooldown).
    expect(pressureOf(0)).toBe(0);
    expect(pressureOf(1)).toBe(2);
    expect(pressureOf(3)).toBe(4);
    const at = (pressure: number) =>
      [bot, spec, idle, active, crowded].map((s) => loadLevel(s.cls, sessionPriority(s, cfg, now), pressure));
    expect(at(0)).toEqual([0, 0, 0, 0, 0]);
    expect(at(2)).toEqual([2, 1, 0, 0, 0]);
    expect(at(4)).toEqual([4, 3, 2, 1, 0]);
    expect([0, 1, 2, 3, 4].map(cooldownOf)).toEqual([1, 1, 1, 2, 4]);
  });

  it('the ladder steps down on backpressure (held between moves) and up after clean sends', () => {
    const s = mk(SessionClass.player);
    expect(updateLadder(s, cfg, 5000, 10)).toBe(-1);
    expect(s.ladder).toBe(1);
    expect(updateLadder(s, cfg, 5000, 11)).toBe(0); // held
    expect(updateLadder(s, cfg, 5000, 13)).toBe(-1);
    expect(s.ladder).toBe(2);
    expect(updateLadder(s, cfg, 500, 14)).toBe(0); // some buffered: no climb
    expect(updateLadder(s, cfg, 0, 15)).toBe(0);
    expect(updateLadder(s, cfg, 0, 16)).toBe(1);
    expect(s.ladder).toBe(1);
    expect(updateLadder(s, cfg, 0, 17)).toBe(0);
    expect(updateLadder(s, cfg, 0, 18)).toBe(1);
    expect(s.ladder).toBe(0);
    expect(updateLadder(s, cfg, 0, 19)).toBe(0);
  });
});

describe('deferral floors under load (idlePlayerMinHz, nonPlayerMinHz)', () => {
  it('defaults, validation, and the steps a session may be deferred in a row', () => {
    const d = resolveNetConfig({});
    expect(d.idlePlayerMinHz).toBe(4);
    expect(d.nonPlayerMinHz).toBe(1);
    expect(() => resolveNetConfig({ idlePlayerMinHz: 0 })).toThrow(/net\.idlePlayerMinHz/);
    expect(() => resolveNetConfig({ nonPlayerMinHz: Number.NaN })).toThrow(/net\.nonPlayerMinHz/);
    // 20 Hz step, snapshotHz 20 (every step): 4 Hz → every 5th step, 1 Hz → every 20th.
    expect(deferLimit(0.05, 1, 4, 20)).toBe(4);
    expect(deferLimit(0.05, 1, 1, 20)).toBe(19);
    expect(deferLimit(0.05, 1, 10, 20)).toBe(1);
    // A floor at or above the snapshot rate: never deferred.
    expect(deferLimit(0.05, 1, 20, 20)).toBe(0);
    expect(deferLimit(0.05, 1, 50, 20)).toBe(0);
    // 60 Hz step, snapshotHz 20 (every 3rd step): 4 Hz → a gap of at most 15 steps.
    expect(deferLimit(1 / 60, 3, 4, 20)).toBe(12);
  });
});
