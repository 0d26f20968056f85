/**
 * docs/GAME-API.md's "A game in five minutes" works as written: its game module is extracted
 * from the page (imports of `worldtick` pointed at src/index.ts), started with `startServer`,
 * and played by the client library over a real WebSocket: the welcome describes `hp`, a `heal`
 * is applied, a bad one is refused with `BAD_FIELD`.
 */
import { tempDataDir } from '../../helpers/data-dir.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { PLAYER_KIND, WireErrorCode, WorldtickClient, type WebSocketCtor } from '../../../src/client/index.js';
import { getStore, startServer, type ComponentDef, type GameDefinition, type RunningServer } from '../../../src/index.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

const quickStartModule = (): string => {
  const md = readFileSync(join(ROOT, 'docs/GAME-API.md'), 'utf8');
  const block = /```ts\n(\/\/ my-game\/game\.ts\n[\s\S]*?)```/.exec(md);
  if (!block) throw new Error('quick-start game block not found in docs/GAME-API.md');
  return block[1].replace(/from 'worldtick'/g, `from '${join(ROOT, 'src/index.js')}'`);
};

describe('GAME-API.md quick start', () => {
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('builds, runs and plays as documented', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wt-quick-start-'));
    const file = join(dir, 'game.ts');
    writeFileSync(file, quickStartModule());
    const mod = (await import(file)) as { game: GameDefinition; Health: ComponentDef<{ hp: { type: 'u16'; default: number } }> };
    server = await startServer(mod.game, {
      options: { dataDir: tempDataDir().dir, host: '127.0.0.1', port: 0, adminPort: 0, logLevel: 'silent', statsIntervalSeconds: 0 },
    });
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await c.connect();
    const w = await c.join('1', 'alice');
    expect(w.fields?.get(PLAYER_KIND)?.names).toEqual(['hp']);
    const hp = getStore(server.world, mod.Health).hp;
    await c.waitFor(() => c.view.entities.get(w.playerId)?.fields?.hp !== undefined);
    hp[w.playerId] = 50; // as if hurt
    await c.waitFor(() => (c.view.entities.get(w.playerId)?.fields?.hp ?? 0) <= 50);
    const before = c.view.entities.get(w.playerId)!.fields!.hp!;
    c.sendMessage('heal', { target: w.playerId, amount: 20 });
    await c.waitFor(() => (c.view.entities.get(w.playerId)?.fields?.hp ?? 0) >= before + 19);
    c.sendMessage('heal', { target: w.playerId, amount: 99 });
    expect(await c.waitFor((m) => m.type === 20)).toMatchObject({ code: WireErrorCode.BAD_FIELD });
    c.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
