/**
 * A game's promise callback that throws (here `deliverToWorld` refusing a payload built from client
 * input) must not end the process: `runMain` logs the unhandled rejection, counts it in `/metrics`
 * (`worldtick_unhandled_rejections_total`) and the server goes on serving every world and session
 * (docs/GAME-API.md "runMain"). Before, Node's default ended the process with exit 1 and no
 * final checkpoint — one client message took down every world.
 */
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { WorldtickClient } from '../../../src/client/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { type GameProcess, killHard, startGameProcess, waitFor } from '../../helpers/game-process.js';

const TOKEN = 'rejecting-game-token';
const data = tempDataDir('wt-unhandled-');
let proc: GameProcess | undefined;
afterAll(async () => {
  if (proc && proc.child.exitCode === null) await killHard(proc);
  data.remove();
});

describe('runMain and a rejected promise of the game', () => {
  it('logs and counts it, and keeps serving', async () => {
    proc = await startGameProcess({
      main: 'test/helpers/rejecting-game-main.ts',
      args: ['--port', '0', '--admin-port', '0', '--stats-interval', '0', '--checkpoint-interval', '0'],
      dataDir: data.dir,
      token: TOKEN,
    });
    const p = proc;
    const port = p.lines.find((l) => l.msg === 'server ready')?.port as number;
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${port}`, WebSocket: WebSocket as never });
    await c.connect();
    await c.join('1', 'eve', 'eve-token');
    c.sendMessage('note', { text: 'x'.repeat(100) }); // over the fact's 64 bytes: deliverToWorld throws in a .then
    const logged = await waitFor(() => {
      if (p.child.exitCode !== null) throw new Error(`the server exited with code ${p.child.exitCode}`);
      return p.lines.find((l) => l.msg?.startsWith('unhandled promise rejection'));
    }, 10_000);
    expect(logged.level).toBe(50);
    expect(logged.code).toBe('WT_ERR_GAME_FACT_INVALID');
    expect(JSON.stringify(logged)).not.toContain('x'.repeat(100));
    // Still serving: the same session's next message is applied, and a new client joins.
    c.sendMessage('note', { text: 'short' });
    await waitFor(() => p.lines.find((l) => l.msg === 'noted' && l.text === 'short'), 10_000);
    expect(p.child.exitCode).toBeNull();
    const d = new WorldtickClient({ url: `ws://127.0.0.1:${port}`, WebSocket: WebSocket as never });
    await d.connect();
    expect((await d.join('1', 'bob', 'bob-token')).playerId).toBeGreaterThan(0);
    const metrics = await (await fetch(p.admin.replace('/api/v1', '/metrics'), { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(metrics).toMatch(/^worldtick_unhandled_rejections_total 1$/m);
    c.close();
    d.close();
  }, 60_000); // a process start under tsx: seconds on a loaded machine
});
