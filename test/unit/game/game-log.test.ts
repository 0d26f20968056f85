/**
 * The per-world budget of `gameLog` (src/game/game-log.ts) on a driven clock: a burst is written,
 * the rest dropped and counted, the budget refills at its rate, the next line written after drops
 * is preceded by one warn line with their count, and a level the logger does not write takes no
 * budget. A line over GAME_LOG_MAX_LINE_BYTES is written cut with a marker (counted `truncated`); a world
 * built with `createGameWorld({ logger })` (a studio's unit test, no server) logs to that logger.
 */
import { describe, expect, it } from 'vitest';
import { createGameLogSink } from '../../../src/game/game-log.js';
import { createGameWorld, defineGame, GAME_LOG_MAX_LINE_BYTES, gameLog, pauseWorld, stepWorld } from '../../../src/index.js';
import { jsonLogSink } from '../../helpers/log-lines.js';

describe('createGameLogSink', () => {
  it('writes a burst, drops the rest, refills at its rate and reports the drops once', () => {
    const { lines, logger } = jsonLogSink('info');
    let t = 0;
    const sink = createGameLogSink(logger, 'w', 'g', { burst: 3, linesPerSecond: 2, now: () => t });
    for (let i = 0; i < 10; i++) sink.logger.info({ i }, 'x');
    for (let i = 0; i < 10; i++) sink.logger.debug('below the level');
    expect(sink.counters).toEqual({ written: 3, truncated: 0, dropped: 7 });
    expect(lines.map((l) => l.i)).toEqual([0, 1, 2]);
    t = 400; // 0.8 of a line: still nothing
    sink.logger.warn('y');
    expect(sink.counters).toEqual({ written: 3, truncated: 0, dropped: 8 });
    t = 1000; // 2 lines' worth since 0, less the 0 taken: 2 lines
    sink.logger.error('z1');
    sink.logger.error('z2');
    sink.logger.error('z3');
    expect(sink.counters).toEqual({ written: 5, truncated: 0, dropped: 9 });
    expect(lines.slice(3).map((l) => [l.level, l.msg, l.dropped])).toEqual([
      [40, 'game log: lines dropped by the rate limit', 8],
      [50, 'z1', undefined],
      [50, 'z2', undefined],
    ]);
    expect(lines.every((l) => l.world === 'w' && l.game === 'g')).toBe(true);
    expect(sink.logger.isLevelEnabled('debug')).toBe(false);
    expect(sink.logger.isLevelEnabled('info')).toBe(true);
  });
});

describe('gameLog lines over GAME_LOG_MAX_LINE_BYTES', () => {
  it('are written cut with a marker and counted truncated; lines within the bound are written as given', () => {
    const { lines, logger } = jsonLogSink('info');
    const sink = createGameLogSink(logger, 'w', 'g');
    const within = 'm'.repeat(GAME_LOG_MAX_LINE_BYTES - 100);
    sink.logger.info({ code: 'X' }, within);
    expect(lines[0]?.msg).toBe(within);
    expect(lines[0]?.logTruncated).toBeUndefined();
    // A huge message, a huge field between small ones, an error: the small fields and the error kept.
    const err = new Error('boom');
    sink.logger.warn({ code: 'BIG', blob: 'é'.repeat(50_000), playerId: 'p1', err }, 'x'.repeat(100_000));
    const cut = lines[1] ?? {};
    expect(cut.code).toBe('BIG');
    expect(cut.playerId).toBe('p1');
    expect(cut.err?.message).toBe('boom');
    expect(cut.blob).toBeUndefined();
    expect(cut.msg).toBe(`${'x'.repeat(GAME_LOG_MAX_LINE_BYTES / 2)}… [truncated]`);
    expect(cut.logTruncated).toMatchObject({ dropped: 1, fields: ['blob'] });
    expect(cut.logTruncated.bytes).toBeGreaterThan(200_000);
    // A message alone over the bound; multi-byte characters are not split.
    sink.logger.error('€'.repeat(10_000));
    const m = String(lines[2]?.msg);
    expect(m.endsWith('… [truncated]') && Buffer.byteLength(m) <= GAME_LOG_MAX_LINE_BYTES / 2 + 20).toBe(true);
    expect(m.startsWith('€€€') && !m.includes('\ufffd')).toBe(true);
    // Many small fields: kept in order while they fit, the rest counted.
    const many: Record<string, number> = {};
    for (let i = 0; i < 2000; i++) many[`k${i}`] = i;
    sink.logger.info(many, 'many');
    expect(lines[3]?.k0).toBe(0);
    expect(lines[3]?.k1999).toBeUndefined();
    expect(lines[3]?.logTruncated.dropped).toBeGreaterThan(1000);
    for (const l of lines) {
      const { level: _l, time: _t, pid: _p, hostname: _h, name: _n, world: _w, game: _g, ...own } = l;
      expect(Buffer.byteLength(JSON.stringify(own))).toBeLessThanOrEqual(GAME_LOG_MAX_LINE_BYTES);
    }
    expect(sink.counters).toEqual({ written: 1, truncated: 3, dropped: 0 });
  });
});

describe('createGameWorld({ logger })', () => {
  const game = defineGame({
    name: 'logs',
    systems: [{ name: 'say', phase: 'behavior', run: (w) => gameLog(w).info({ step: w.clock.step }, 'stepped') }],
    hooks: { populate: (w) => gameLog(w).warn('populated') },
  });

  it('gives a world no server serves a game logger writing to the given logger', () => {
    const { lines, logger } = jsonLogSink('info');
    const w = createGameWorld(game, { id: 'unit', capacity: 10, logger });
    pauseWorld(w);
    stepWorld(w, 2);
    expect(lines.map((l) => [l.msg, l.step, l.world, l.game])).toEqual([
      ['populated', undefined, 'unit', 'logs'],
      ['stepped', 0, 'unit', 'logs'], // the step counter advances after the step's systems
      ['stepped', 1, 'unit', 'logs'],
    ]);
    expect(gameLog(w).isLevelEnabled('info')).toBe(true);
    expect(gameLog(w).isLevelEnabled('debug')).toBe(false);
  });

  it('stays silent without one, and refuses a logger that is not one', () => {
    const w = createGameWorld(game, { id: 'quiet', capacity: 10 });
    expect(gameLog(w).isLevelEnabled('error')).toBe(false);
    let err: { code?: string; message?: string } = {};
    try {
      createGameWorld(game, { id: 'bad', capacity: 10, logger: { info: () => {} } as never });
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.code).toBe('WT_ERR_OPTION_INVALID');
    expect(err.message).toMatch(/logger must be a pino logger/);
  });
});
