/**
 * The per-world budget of `gameLog` (src/game/game-log.ts) on a driven clock: a burst is written,
 * the rest dropped and counted, the budget refills at its rate, the next line written after drops
 * is preceded by one warn line with their count, and a level the logger does not write takes no
 * budget.
 */
import { describe, expect, it } from 'vitest';
import { createGameLogSink } from '../../../src/game/game-log.js';
import { jsonLogSink } from '../../helpers/log-lines.js';

describe('createGameLogSink', () => {
  it('writes a burst, drops the rest, refills at its rate and reports the drops once', () => {
    const { lines, logger } = jsonLogSink('info');
    let t = 0;
    const sink = createGameLogSink(logger, 'w', 'g', { burst: 3, linesPerSecond: 2, now: () => t });
    for (let i = 0; i < 10; i++) sink.logger.info({ i }, 'x');
    for (let i = 0; i < 10; i++) sink.logger.debug('below the level');
    expect(sink.counters).toEqual({ written: 3, dropped: 7 });
    expect(lines.map((l) => l.i)).toEqual([0, 1, 2]);
    t = 400; // 0.8 of a line: still nothing
    sink.logger.warn('y');
    expect(sink.counters).toEqual({ written: 3, dropped: 8 });
    t = 1000; // 2 lines' worth since 0, less the 0 taken: 2 lines
    sink.logger.error('z1');
    sink.logger.error('z2');
    sink.logger.error('z3');
    expect(sink.counters).toEqual({ written: 5, dropped: 9 });
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
