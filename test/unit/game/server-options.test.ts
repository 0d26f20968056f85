/**
 * resolveServerOptions (src/game/server.ts): a game's `world.config.simulation.timeScale` /
 * `tickIntervalSeconds` are the server's defaults for those options. Before, the runtime built
 * every world's config from the options' own defaults (timeScale 60, tick 0.05), which silently
 * beat the game's values (found writing examples/ctf, a game of world-time rounds at timeScale 1).
 * A game's timeScale defaults to 1 (the life simulation's 60 is the plain runtime's), and a config
 * file's value counts as given even when it equals the option default.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineGame, resolveServerOptions } from '../../../src/index.js';

const game = defineGame({ name: 'slow', world: { config: { simulation: { timeScale: 1, tickIntervalSeconds: 0.1 } } } });

describe('resolveServerOptions and a game scheduler defaults', () => {
  it('takes the game timeScale and tickIntervalSeconds when nothing else gives them', () => {
    const o = resolveServerOptions(game);
    expect(o.timeScale).toBe(1);
    expect(o.tickIntervalSeconds).toBe(0.1);
  });

  it('a flag, an env value or the config file still wins', () => {
    expect(resolveServerOptions(game, { argv: ['--time-scale', '5'] }).timeScale).toBe(5);
    expect(resolveServerOptions(game, { env: { WORLDTICK_TICK_INTERVAL: '0.02' } }).tickIntervalSeconds).toBe(0.02);
    const dir = mkdtempSync(join(tmpdir(), 'wt-game-opts-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ timeScale: 7 }));
    expect(resolveServerOptions(game, { argv: ['--config', file] }).timeScale).toBe(7);
    expect(resolveServerOptions(game, { options: { timeScale: 3 } }).timeScale).toBe(3);
  });

  it('a game without scheduler defaults runs at timeScale 1 (not the life simulation 60) and the default tick', () => {
    const o = resolveServerOptions(defineGame({ name: 'plain' }));
    expect(o.timeScale).toBe(1);
    expect(o.tickIntervalSeconds).toBe(0.05);
    expect(resolveServerOptions(defineGame({ name: 'plain' }), { argv: ['--time-scale', '60'] }).timeScale).toBe(60);
  });

  it('a config file giving the old default 60 (top level or scheduler.simulation) still beats the game', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wt-game-opts-'));
    const top = join(dir, 'top.json');
    writeFileSync(top, JSON.stringify({ timeScale: 60 }));
    const block = join(dir, 'block.json');
    writeFileSync(block, JSON.stringify({ scheduler: { simulation: { timeScale: 60, tickIntervalSeconds: 0.05 } } }));
    for (const g of [game, defineGame({ name: 'plain' })]) {
      expect(resolveServerOptions(g, { argv: ['--config', top] }).timeScale).toBe(60);
      const o = resolveServerOptions(g, { argv: ['--config', block] });
      expect(o.timeScale).toBe(60);
      expect(o.tickIntervalSeconds).toBe(0.05);
    }
  });

  it("a config file giving the server's default starting coins or physics still beats the game's", () => {
    const dir = mkdtempSync(join(tmpdir(), 'wt-game-opts-'));
    const file = join(dir, 'defaults.json');
    writeFileSync(file, JSON.stringify({ startingCoins: 1000, physics: 'on' }));
    const g = defineGame({ name: 'rich-flat', startingCoins: 50, world: { physics: 'off' } });
    expect(resolveServerOptions(g)).toMatchObject({ startingCoins: 50, physics: 'off' });
    expect(resolveServerOptions(g, { argv: ['--config', file] })).toMatchObject({ startingCoins: 1000, physics: 'on' });
  });

  it('a game may default its world to physics off; the flag still wins; a bad value is refused at defineGame', () => {
    const flat = defineGame({ name: 'flat', world: { physics: 'off' } });
    expect(resolveServerOptions(flat).physics).toBe('off');
    expect(resolveServerOptions(flat, { argv: ['--physics', 'on'] }).physics).toBe('on');
    expect(resolveServerOptions(defineGame({ name: 'solid' })).physics).toBe('on');
    expect(() => defineGame({ name: 'x', world: { physics: 'maybe' as 'on' } })).toThrow(/world.physics must be "on" or "off"/);
  });
});
