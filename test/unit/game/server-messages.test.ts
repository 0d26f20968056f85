/**
 * Server messages of a game without a server (src/game/server-messages.ts): `defineGame` lists every
 * bad declaration; a world no game server serves checks every send exactly as a served one (same
 * throws: a replay behaves like the recorded run) and queues nothing (counted `unserved`); the
 * client's parser types frame 25.
 */
import { describe, expect, it } from 'vitest';
import {
  broadcast,
  broadcastNear,
  createGameWorld,
  defineGame,
  defineServerMessage,
  deleteGameWorld,
  ErrorCode,
  isWorldtickError,
  sendToPlayer,
  spawn,
  Type,
} from '../../../src/index.js';
import { parseServerFrame } from '../../../src/client/index.js';

const codeOf = (fn: () => void): string => {
  try {
    fn();
    return 'none';
  } catch (err) {
    return isWorldtickError(err) ? err.code : String(err);
  }
};

describe('server messages', () => {
  it('defineGame lists every bad server message', () => {
    let problems: string[] = [];
    try {
      defineGame({
        name: 'bad',
        serverMessages: [
          { name: 'ok', schema: Type.String() },
          { name: 'ok', schema: Type.String() },
          { name: 'bad name!', schema: Type.String() },
          { name: 'tiny', schema: Type.String(), maxBytes: 8 },
          { name: 'huge', schema: Type.String(), maxBytes: 70_000 },
          { name: 'noschema', schema: null as unknown as ReturnType<typeof Type.String> },
        ],
      });
    } catch (err) {
      expect(isWorldtickError(err, ErrorCode.OPTION_INVALID)).toBe(true);
      problems = (err as { details: { problems: string[] } }).details.problems;
    }
    expect(problems).toEqual([
      'serverMessage "ok" is defined twice',
      'serverMessage "bad name!": name must be 1-64 characters of A-Z a-z 0-9 _ . : -',
      'serverMessage "tiny": maxBytes must be an integer between 16 and 65536',
      'serverMessage "huge": maxBytes must be an integer between 16 and 65536',
      'serverMessage "noschema": schema must be a TypeBox schema',
    ]);
  });

  it('a world without a server checks sends as a served one and queues nothing (unserved)', () => {
    const hit = defineServerMessage({ name: 'hit', schema: Type.Object({ dmg: Type.Integer({ maximum: 100 }) }), maxBytes: 32 });
    const game = defineGame({ name: 'g', serverMessages: [hit] });
    const w = createGameWorld(game, { id: 'w', capacity: 8 });
    const e = spawn(w, { kind: 1, x: 5, y: 5 });
    sendToPlayer(w, e, hit, { dmg: 5 });
    broadcastNear(w, e, hit, { dmg: 5 });
    broadcastNear(w, { x: 1, y: 2 }, 'hit', { dmg: 5 });
    broadcast(w, hit, { dmg: 100 });
    expect(codeOf(() => broadcast(w, hit, { dmg: 101 }))).toBe(ErrorCode.GAME_MESSAGE_INVALID);
    expect(codeOf(() => broadcast(w, 'miss', {}))).toBe(ErrorCode.GAME_MESSAGE_INVALID);
    expect(codeOf(() => sendToPlayer(w, -1, hit, { dmg: 1 }))).toBe(ErrorCode.GAME_MESSAGE_INVALID);
    expect(codeOf(() => broadcast(w, hit, { dmg: 1, pad: 'x'.repeat(40) } as { dmg: number }))).toBe(ErrorCode.GAME_MESSAGE_INVALID);
    expect(w.game?.outbox.items).toEqual([]);
    expect(w.game?.outbox.stats).toMatchObject({ queued: 0, unserved: 4, refused: 4, sent: 0 });
    deleteGameWorld(w);
  });

  it('the client parses frame 25 into a typed message', () => {
    expect(parseServerFrame([25, 7, 'hit', { dmg: 5 }])).toEqual({ type: 25, step: 7, name: 'hit', payload: { dmg: 5 } });
  });
});
