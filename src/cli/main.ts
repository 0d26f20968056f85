#!/usr/bin/env node
/**
 * `npm start`: run the life-sim example game (examples/life-sim) as the embedded default world
 * "1", with every server option (`--help`). A bad option prints a clear message and exits 2 —
 * never a stack trace; SIGINT/SIGTERM stop cleanly (exit 0).
 */
import { lifeSimGame } from '../../examples/life-sim/game.js';
import { runMain } from '../game/server.js';

void runMain(lifeSimGame);
