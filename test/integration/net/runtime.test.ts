import WebSocket from 'ws';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { createRuntime } from '../../../src/server/runtime.js';
import { tempDataDir } from '../../helpers/data-dir.js';

describe('runtime serves the game protocol', () => {
  it('the runtime (as npm start builds it) accepts a client into world 1 and streams snapshots at the step rate', async () => {
    const rt = createRuntime(
      parseOptions(['--port', '0', '--admin-port', '0', '--npcs', '500', '--stats-interval', '0', '--data-dir', tempDataDir().dir], {}),
      createLogger('silent'),
    );
    await rt.start();
    try {
      const c = new WorldtickClient({ url: `ws://127.0.0.1:${rt.gameServer.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
      await c.connect();
      const w = await c.join('1', 'rt');
      expect(w.stepRate).toBe(20);
      const first = await c.waitFor((m) => m.type === 17);
      await c.waitForStep((first as { step: number }).step + 5, 5000);
      expect(c.stats.snapshots).toBeGreaterThanOrEqual(6);
      expect(c.view.entities.has(w.playerId)).toBe(true);
      expect(await c.ping()).toBeGreaterThanOrEqual(0);
      const s = rt.gameServer.stats();
      expect(s.sessions).toBe(1);
      expect(s.worlds['1'].snapshotsSent).toBeGreaterThanOrEqual(6);
      c.close();
    } finally {
      await rt.stop();
    }
  });

  it('game-server settings from the config file reach the server (interest radius in welcome)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wt-net-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ net: { interestRadius: 42, detailedRadius: 20 } }));
    const rt = createRuntime(
      parseOptions(
        ['--config', file, '--port', '0', '--admin-port', '0', '--npcs', '50', '--stats-interval', '0', '--data-dir', tempDataDir().dir],
        {},
      ),
      createLogger('silent'),
    );
    await rt.start();
    try {
      const c = new WorldtickClient({ url: `ws://127.0.0.1:${rt.gameServer.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
      await c.connect();
      expect((await c.join('1', 'cfg')).interestRadius).toBe(42);
      c.close();
    } finally {
      await rt.stop();
    }
  });
});
