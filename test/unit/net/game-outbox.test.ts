/**
 * Queueing of game server messages (src/net/game-outbox.ts): a broadcast is attributed to the
 * outbox's current sender; one player's waiting broadcasts are capped by
 * `maxGameBroadcastsPerSender` (its newest dropped, counted `capped`, nobody else's touched); the
 * server's are bounded by the lane only; a delivered broadcast frees its sender's room.
 */
import { describe, expect, it } from 'vitest';
import { broadcastDone, createGameOutbox, type OutboxNet, OutboxTarget, queueGameMessage } from '../../../src/net/game-outbox.js';

const net = (cap: number, lane = 100): OutboxNet => ({
  config: { maxGameMessagesPerStep: lane, maxGameBroadcastsPerSender: cap },
  byPlayer: new Map(),
  away: new Map(),
});
const item = (target: (typeof OutboxTarget)[keyof typeof OutboxTarget] = OutboxTarget.WORLD) => ({
  bytes: new Uint8Array([1]),
  target,
  origin: -1,
  rest: null,
  player: -1,
  token: '',
  x: 0,
  y: 0,
});

describe('queueGameMessage: senders', () => {
  it('caps one player, not another, not the server; a delivery frees room', () => {
    const ob = createGameOutbox();
    const n = net(2);
    ob.sender = 7;
    for (let i = 0; i < 5; i++) queueGameMessage(ob, n, item());
    ob.sender = 8;
    queueGameMessage(ob, n, item(OutboxTarget.AREA));
    ob.sender = -1;
    for (let i = 0; i < 5; i++) queueGameMessage(ob, n, item());
    expect(ob.stats.capped).toBe(3);
    expect(ob.stats.overflow).toBe(0);
    expect(ob.items.map((it) => it.origin)).toEqual([7, 7, 8, -1, -1, -1, -1, -1]);
    expect(ob.bySender.get(7)?.waiting).toBe(2);
    expect(ob.bySender.get(-1)?.waiting).toBe(5);
    broadcastDone(ob, 7);
    ob.sender = 7;
    queueGameMessage(ob, n, item());
    expect(ob.stats.capped).toBe(3);
    queueGameMessage(ob, n, item());
    expect(ob.stats.capped).toBe(4);
    broadcastDone(ob, 8);
    expect(ob.bySender.has(8)).toBe(false);
  });

  it('player messages are never attributed nor capped; 0 = no cap; the lane bound still counts overflow', () => {
    const ob = createGameOutbox();
    const n = net(0, 3);
    ob.sender = 7;
    queueGameMessage(ob, n, item(OutboxTarget.PLAYER));
    for (let i = 0; i < 5; i++) queueGameMessage(ob, n, item());
    expect(ob.items[0]?.origin).toBe(-1);
    expect(ob.stats.capped).toBe(0);
    expect(ob.stats.overflow).toBe(2);
    expect(ob.lanes).toEqual({ players: 1, broadcasts: 3 });
  });
});
