/**
 * A game world with a real ledger on SQLite and the session and input ingest types, driven the way
 * the session registry drives it (join facts whose `applied` binds the durable id, park and remove
 * facts), for replay tests that record bindings. Steps sleep 2 ms between them so the ledger's
 * catch-ups land between steps, as live.
 */
import type { GameDefinition } from '../../src/game/definition.js';
import { createGameWorld } from '../../src/game/world.js';
import { attachLedger, bindPlayer, detachLedger } from '../../src/ledger/world-ledger.js';
import { defineInputIngest } from '../../src/net/input.js';
import { defineSessionIngest, type EnterFact, SESSION_INGEST_TYPE, type SessionFact } from '../../src/net/player-facts.js';
import type { SimWorld } from '../../src/world/sim-world.js';
import { runStep } from '../../src/world/step.js';
import { sqliteFactory } from './store-factories.js';

/** What {@link ledgeredSessions} gives a test. */
export interface LedgeredSessions {
  world: SimWorld;
  /** Join as durable id `pid` (bound when the join applies); `evictParked` as the registry's world-full eviction. */
  joinAs(pid: string, evictParked?: EnterFact['evictParked']): Promise<number>;
  /** Park (the socket dropped) or remove player `eid`, as its session. */
  leave(op: 'park' | 'remove', eid: number): void;
  /** Run `n` steps, 2 ms apart. */
  steps(n: number): Promise<void>;
}

/** Build it; `cleanup` gets what the test's afterEach must undo (store, ledger), in order of creation. */
export const ledgeredSessions = async (
  game: GameDefinition,
  opts: { id: string; seed: number; capacity: number },
  cleanup: Array<() => Promise<void>>,
): Promise<LedgeredSessions> => {
  const handle = await sqliteFactory.create();
  cleanup.push(() => handle.dispose());
  const store = await handle.open();
  cleanup.push(() => store.close());
  const w = createGameWorld(game, { ...opts, size: 200 });
  attachLedger(w, { store, startingCoins: 0, rateLimit: { perSecond: 0 } });
  cleanup.push(() => detachLedger(w));
  defineInputIngest(w, 10);
  defineSessionIngest(w);
  let nextSession = 1;
  const sessions = new Map<number, number>();
  return {
    world: w,
    joinAs: (pid, evictParked) =>
      new Promise((resolve) => {
        const session = nextSession++;
        const f: SessionFact = {
          op: 'enter',
          session,
          player: -1,
          owner: -1,
          x: 10 + session,
          y: 10,
          interestRadius: 50,
          live: () => true,
          applied: (eid) => {
            if (eid >= 0) bindPlayer(w, eid, pid);
            sessions.set(eid, session);
            resolve(eid);
          },
          ...(evictParked ? { evictParked } : {}),
        };
        w.ingest.push(SESSION_INGEST_TYPE, session, f);
      }),
    leave: (op, eid) => {
      w.ingest.push(SESSION_INGEST_TYPE, 0, { op, player: eid, owner: sessions.get(eid) ?? -1, removed: [] });
    },
    steps: async (n) => {
      for (let i = 0; i < n; i++) {
        runStep(w);
        await new Promise((r) => setTimeout(r, 2));
      }
    },
  };
};
