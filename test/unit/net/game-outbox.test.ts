/**
 * Queueing of game server messages (src/net/game-outbox.ts): a broadcast is attributed to the
 * outbox's current sender; one player's waiting broadcasts are capped by
 * `maxGameBroadcastsPerSender` (its newest dropped, counted `capped`, nobody else's touched); the
 * server's are bounded by the lane only; a delivered broadcast frees its sender's room.
 */
import { describe, expect, it } from 'vitest';
import {
  broadcastDone,
  createGameOutbox,
  type OutboxNet,
  OutboxTarget,
  queueGameMessage,
  SERVER_SENDER,
  senderKey,
} from '../../../src/net/game-outbox.js';

const net = (cap: number, lane = 100): OutboxNet => ({
  config: { maxGameMessagesPerStep: lane, maxGameBroadcastsPerSender: cap },
  byPlayer: new Map(),
  away: new Map(),
});
const item = (target: (typeof OutboxTarget)[keyof typeof OutboxTarget] = OutboxTarget.WORLD) => ({
  bytes: new Uint8Array([1]),
  target,
  origin: '',
  rest: null,
  player: -1,
  token: '',
  x: 0,
  y: 0,
});

describe('queueGameMessage: senders', () => {
  it("a recycled entity id does not inherit the previous player's waiting broadcasts (counted per tenure)", () => {
    const ob = createGameOutbox();
    const byPlayer = new Map([[7, { resumeToken: 'tenure-a' }]]);
    const n: OutboxNet = { ...net(2), byPlayer };
    ob.sender = 7;
    for (let i = 0; i < 3; i++) queueGameMessage(ob, n, item());
    expect(ob.stats.capped).toBe(1);
    // Player A left with its 2 broadcasts still waiting; bitecs gives entity 7 to newcomer B.
    byPlayer.set(7, { resumeToken: 'tenure-b' });
    for (let i = 0; i < 2; i++) queueGameMessage(ob, n, item());
    expect(ob.stats.capped).toBe(1);
    expect(ob.stats.queued).toBe(4);
    queueGameMessage(ob, n, item());
    expect(ob.stats.capped).toBe(2);
    // A's broadcasts and B's are two senders: delivering A's frees none of B's room.
    const [a0, a1, b0] = ob.items.map((it) => it.origin);
    expect(a0).toBe(a1);
    expect(b0).not.toBe(a0);
    broadcastDone(ob, a0!);
    broadcastDone(ob, a1!);
    queueGameMessage(ob, n, item());
    expect(ob.stats.capped).toBe(3);
    // The same player resuming (same tenure, the session replaced) keeps its count.
    byPlayer.set(7, { resumeToken: 'tenure-b' });
    queueGameMessage(ob, n, item());
    expect(ob.stats.capped).toBe(4);
    // Parked: the tenure of its away entry; neither (not seen): the entity id, apart from any tenure.
    expect(senderKey({ ...n, byPlayer: new Map(), away: new Map([[7, { token: 'tenure-b' }]]) }, 7)).toBe('tenure-b');
    expect(senderKey({ ...n, byPlayer: new Map() }, 7)).toBe('#7');
    expect(senderKey(n, -1)).toBe(SERVER_SENDER);
  });

  it('caps one player, not another, not the server; a delivery frees room', () => {
    const ob = createGameOutbox();
    const n: OutboxNet = { ...net(2), byPlayer: new Map([7, 8].map((p) => [p, { resumeToken: `t${p}` }])) };
    ob.sender = 7;
    for (let i = 0; i < 5; i++) queueGameMessage(ob, n, item());
    ob.sender = 8;
    queueGameMessage(ob, n, item(OutboxTarget.AREA));
    ob.sender = -1;
    for (let i = 0; i < 5; i++) queueGameMessage(ob, n, item());
    expect(ob.stats.capped).toBe(3);
    expect(ob.stats.overflow).toBe(0);
    expect(ob.items.map((it) => it.origin)).toEqual(['t7', 't7', 't8', '', '', '', '', '']);
    expect(ob.bySender.get('t7')?.waiting).toBe(2);
    expect(ob.bySender.get(SERVER_SENDER)?.waiting).toBe(5);
    broadcastDone(ob, 't7');
    ob.sender = 7;
    queueGameMessage(ob, n, item());
    expect(ob.stats.capped).toBe(3);
    queueGameMessage(ob, n, item());
    expect(ob.stats.capped).toBe(4);
    broadcastDone(ob, 't8');
    expect(ob.bySender.has('t8')).toBe(false);
  });

  it('player messages are never attributed nor capped; 0 = no cap; the lane bound still counts overflow', () => {
    const ob = createGameOutbox();
    const n = net(0, 3);
    ob.sender = 7;
    queueGameMessage(ob, n, item(OutboxTarget.PLAYER));
    for (let i = 0; i < 5; i++) queueGameMessage(ob, n, item());
    expect(ob.items[0]?.origin).toBe(SERVER_SENDER);
    expect(ob.stats.capped).toBe(0);
    expect(ob.stats.overflow).toBe(2);
    expect(ob.lanes).toEqual({ players: 1, broadcasts: 3 });
  });
});
