/**
 * Join and leave are ingest facts: nothing changes until a step's ingest phase applies them;
 * facts about a player another session (or nobody) owns now change nothing.
 */
import { playerRow } from '../../../components/player-table.js';
import { entityExists } from 'bitecs';
import { describe, expect, it } from 'vitest';
import {
  defineSessionIngest,
  JOIN_WORLD_FULL,
  KICKED_OWNER,
  SESSION_INGEST_TYPE,
  type EnterFact,
  type LeaveFact,
} from '../../../src/net/player-facts.js';
import { createSimWorld, entityCount } from '../../../src/world/sim-world.js';
import { stepWorld } from '../../../src/world/step.js';
import { ingestSystem } from '../../../systems/ingest-system.js';

const makeWorld = (capacity = 10) => {
  const world = createSimWorld({
    id: 'pf',
    capacity,
    size: 100,
    systems: [{ name: 'ingest', phase: 'ingest', run: ingestSystem }] as never,
    config: { simulation: { pauseSimulation: true } },
  });
  defineSessionIngest(world);
  return world;
};

const enter = (session: number, over: Partial<EnterFact> = {}) => {
  const got: Array<[number, boolean]> = [];
  const fact: EnterFact = {
    op: 'enter',
    session,
    player: -1,
    owner: -1,
    x: 10,
    y: 20,
    interestRadius: 50,
    live: () => true,
    applied: (p, r) => got.push([p, r]),
    ...over,
  };
  return { fact, got };
};

describe('player facts (join/leave through ingest)', () => {
  it('a join spawns nothing until the step applies it, then owns the new player', () => {
    const world = makeWorld();
    const j = enter(7);
    world.ingest.push(SESSION_INGEST_TYPE, 7, j.fact);
    expect(entityCount(world)).toBe(0);
    expect(j.got).toEqual([]);
    stepWorld(world, 1);
    expect(j.got).toHaveLength(1);
    const [eid, reattached] = j.got[0];
    expect(reattached).toBe(false);
    const { Player, Position } = world.stores;
    expect([
      Player.session[playerRow(world.stores, eid)],
      Player.interestRadius[playerRow(world.stores, eid)],
      Position.x[eid],
      Position.y[eid],
    ]).toEqual([7, 50, 10, 20]);
  });

  it('park, resume and remove apply only while the expected session owns the player', () => {
    const world = makeWorld();
    const j = enter(7);
    world.ingest.push(SESSION_INGEST_TYPE, 7, j.fact);
    stepWorld(world, 1);
    const eid = j.got[0][0];
    const removed: number[] = [];
    const { Player, Velocity } = world.stores;
    Velocity.x[eid] = 3;
    // A park from a session that does not own the player changes nothing.
    world.ingest.push(SESSION_INGEST_TYPE, eid, { op: 'park', player: eid, owner: 99, removed } satisfies LeaveFact);
    stepWorld(world, 1);
    expect(Player.session[playerRow(world.stores, eid)]).toBe(7);
    world.ingest.push(SESSION_INGEST_TYPE, eid, { op: 'park', player: eid, owner: 7, removed } satisfies LeaveFact);
    stepWorld(world, 1);
    expect([Player.session[playerRow(world.stores, eid)], Velocity.x[eid]]).toEqual([-1, 0]);
    // Resume: the parked player is reattached to session 8.
    const r = enter(8, { player: eid, owner: -1 });
    world.ingest.push(SESSION_INGEST_TYPE, 8, r.fact);
    stepWorld(world, 1);
    expect(r.got).toEqual([[eid, true]]);
    expect(Player.session[playerRow(world.stores, eid)]).toBe(8);
    // An expiry (owner -1) no longer matches: the player is owned again.
    world.ingest.push(SESSION_INGEST_TYPE, eid, { op: 'remove', player: eid, owner: -1, removed } satisfies LeaveFact);
    stepWorld(world, 1);
    expect(entityExists(world, eid)).toBe(true);
    world.ingest.push(SESSION_INGEST_TYPE, eid, { op: 'remove', player: eid, owner: 8, removed } satisfies LeaveFact);
    stepWorld(world, 1);
    expect(entityExists(world, eid)).toBe(false);
    expect(removed).toEqual([eid]);
  });

  it("a kick removes the player its session (or the game's kicked mark) owns, and nothing else", () => {
    const world = makeWorld();
    const a = enter(7);
    const b = enter(8);
    world.ingest.push(SESSION_INGEST_TYPE, 7, a.fact);
    world.ingest.push(SESSION_INGEST_TYPE, 8, b.fact);
    stepWorld(world, 1);
    const [ea, eb] = [a.got[0][0], b.got[0][0]];
    const removed: number[] = [];
    const { Player } = world.stores;
    // Another session's kick (its id recycled, say) changes nothing; a parked player is not kicked by a stale fact.
    world.ingest.push(SESSION_INGEST_TYPE, ea, { op: 'kick', player: ea, owner: 99, removed } satisfies LeaveFact);
    world.ingest.push(SESSION_INGEST_TYPE, ea, { op: 'kick', player: ea, owner: -1, removed } satisfies LeaveFact);
    stepWorld(world, 1);
    expect(entityExists(world, ea)).toBe(true);
    world.ingest.push(SESSION_INGEST_TYPE, ea, { op: 'kick', player: ea, owner: 7, removed } satisfies LeaveFact);
    stepWorld(world, 1);
    expect(entityExists(world, ea)).toBe(false);
    // Marked kicked by the game (KICKED_OWNER): its session's kick fact still finds it.
    Player.session[playerRow(world.stores, eb)] = KICKED_OWNER;
    world.ingest.push(SESSION_INGEST_TYPE, eb, { op: 'park', player: eb, owner: 8, removed } satisfies LeaveFact);
    stepWorld(world, 1);
    expect(entityExists(world, eb)).toBe(true); // a close racing the kick does not park it
    world.ingest.push(SESSION_INGEST_TYPE, eb, { op: 'kick', player: eb, owner: 8, removed } satisfies LeaveFact);
    stepWorld(world, 1);
    expect(entityExists(world, eb)).toBe(false);
    expect(removed).toEqual([ea, eb]);
  });

  it('a join whose socket closed spawns nothing; a full world answers JOIN_WORLD_FULL', () => {
    const world = makeWorld(1);
    const gone = enter(1, { live: () => false });
    world.ingest.push(SESSION_INGEST_TYPE, 1, gone.fact);
    stepWorld(world, 1);
    expect(gone.got).toEqual([[-1, false]]);
    expect(entityCount(world)).toBe(0);
    const a = enter(2),
      b = enter(3);
    world.ingest.push(SESSION_INGEST_TYPE, 2, a.fact);
    world.ingest.push(SESSION_INGEST_TYPE, 3, b.fact);
    stepWorld(world, 1);
    expect(a.got[0][0]).toBeGreaterThan(0);
    expect(b.got).toEqual([[JOIN_WORLD_FULL, false]]);
  });
});
