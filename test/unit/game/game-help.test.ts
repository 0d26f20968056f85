/**
 * A game's `--help` (runMain): the defaults it lists are the ones the game's server runs with — the
 * game's `world` (size, npcs, physics, time scale) and `startingCoins` over the engine's — and it
 * names the game. It used to print the engine's defaults (10,000 NPCs, a 2,000-unit world, time
 * scale 60) and `Usage: npm start`, whatever the game declared.
 */
import { describe, expect, it } from 'vitest';
import { defineGame } from '../../../src/index.js';
import { gameHelpText } from '../../../src/game/server.js';

/** The `(default: …)` shown under `--flag` in a help text. */
const defaultOf = (text: string, flag: string): string | undefined => {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.trimStart().startsWith(`--${flag} `) || l.trim() === `--${flag}`);
  return /\(default: ([^)]*)\)\s*$/.exec(lines[i + 1] ?? '')?.[1];
};

describe('gameHelpText', () => {
  it("lists the game's own defaults and names the game", () => {
    const game = defineGame({
      name: 'coin-collector',
      version: 3,
      world: { size: 100, npcs: 4, physics: 'off', config: { simulation: { timeScale: 2 } } },
      startingCoins: 20,
    });
    const text = gameHelpText(game, 'node main.js');
    expect(text).toContain('coin-collector');
    expect(text).toContain('Usage: node main.js [options]');
    expect(defaultOf(text, 'npcs')).toBe('4');
    expect(defaultOf(text, 'world-size')).toBe('100');
    expect(defaultOf(text, 'physics')).toBe('"off"');
    expect(defaultOf(text, 'time-scale')).toBe('2');
    expect(defaultOf(text, 'starting-coins')).toBe('20');
    expect(defaultOf(text, 'port')).toBe('7700'); // not the game's: the engine's
  });

  it("a game that declares nothing shows the engine's defaults, with a game's time scale of 1", () => {
    const text = gameHelpText(defineGame({ name: 'plain' }), 'node main.js');
    expect(defaultOf(text, 'npcs')).toBe('10000');
    expect(defaultOf(text, 'world-size')).toBe('2000');
    expect(defaultOf(text, 'time-scale')).toBe('1');
  });
});
