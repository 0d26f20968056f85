#!/usr/bin/env node
/**
 * `npm start`: run the life-sim example game (examples/life-sim) as the embedded default world
 * "1", with every server option (`--help`, `--version`). Exactly `runMain` (src/game/server.ts), as
 * every game's main: a bad option prints a clear message and exits 2 — never a stack trace;
 * SIGINT/SIGTERM stop cleanly (exit 0; 1 when a final checkpoint failed, on a second signal or
 * after `--stop-timeout`).
 */
import { lifeSimGame } from '../../examples/life-sim/game.js';
import { runMain } from '../game/server.js';

void runMain(lifeSimGame);
