/**
 * When a fact delivered inside a step applies (docs/GAME-API.md "Facts from outside the step"):
 * the ingest phase drains the floor lane `input` (movement, joins and leaves, client messages)
 * before the lane `critical` (ledger results, game facts), so a fact delivered by code that runs
 * in the ingest phase before it — a message handler, `onPlayerJoined` / `onPlayerLeft` — applies
 * in the same step; one delivered by a system (after the ingest phase) applies in the next step.
 */
import { describe, expect, it } from 'vitest';
import { defineFact, defineGame, deliverToWorld, type GameWorld } from '../../../src/index.js';
import { createGameWorld } from '../../../src/game/world.js';
import { defineSessionIngest, SESSION_INGEST_TYPE, type SessionFact } from '../../../src/net/player-facts.js';
import { runStep } from '../../../src/world/step.js';

describe('the step a fact delivered inside a step applies in', () => {
  it('from onPlayerJoined (ingest phase, lane input): the same step; from a system: the next step', () => {
    const log: string[] = [];
    const echo = defineFact<{ from: string }>({ name: 'echo', apply: (w, p) => log.push(`${p.from} applied @${w.clock.step}`) });
    let sent = false;
    const game = defineGame({
      name: 'same-step',
      facts: [echo],
      systems: [
        {
          name: 'sender',
          after: 'movement',
          run: (w: GameWorld) => {
            if (sent) return;
            sent = true;
            log.push(`system delivered @${w.clock.step}`);
            deliverToWorld(w, echo, { from: 'system' });
          },
        },
      ],
      hooks: {
        onPlayerJoined: (w: GameWorld) => {
          log.push(`join delivered @${w.clock.step}`);
          deliverToWorld(w, echo, { from: 'join' });
        },
      },
    });
    const w = createGameWorld(game, { id: 'ss', seed: 1, capacity: 8, size: 100 });
    defineSessionIngest(w);
    const enter: SessionFact = {
      op: 'enter',
      session: 1,
      player: -1,
      owner: -1,
      x: 1,
      y: 1,
      interestRadius: 10,
      live: () => true,
      applied: () => {},
    };
    w.ingest.push(SESSION_INGEST_TYPE, 1, enter);
    runStep(w);
    runStep(w);
    const at = (s: string): number => Number(log.find((l) => l.startsWith(s))?.split('@')[1]);
    expect(log).toHaveLength(4);
    expect(Number.isInteger(at('join delivered')) && Number.isInteger(at('system delivered'))).toBe(true);
    expect(at('join applied')).toBe(at('join delivered'));
    expect(at('system applied')).toBe(at('system delivered') + 1);
  });
});
