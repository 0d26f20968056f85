/**
 * Steps forced through the admin API (`POST /worlds/{id}/scheduler/step` on a paused world) are
 * steps the store learns of like the loop's own: the world record's clock is written every 10
 * steps (docs/DURABILITY.md "What is saved"). Before, forced steps ran only the telemetry hook, so
 * a world driven by `/step` (tests, tools, a studio's round timer driven by hand) kept its
 * creation record and a crash rewound its world time to it (found with examples/ctf).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { defineGame, startServer, type RunningServer } from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';

describe('forced steps and the world record', () => {
  const dir = tempDataDir('wt-forced-step-');
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.stop();
    dir.remove();
  });

  it('writes the clock record every 10 forced steps, as for loop steps', async () => {
    server = await startServer(defineGame({ name: 'forced' }), {
      options: { dataDir: dir.dir, port: 0, adminPort: 0, logLevel: 'silent', statsIntervalSeconds: 0, checkpointIntervalSeconds: 0 },
    });
    const call = async (method: string, path: string, body?: unknown): Promise<Record<string, any>> => {
      const res = await fetch(`http://127.0.0.1:${server?.adminPort}/api/v1/worlds/1${path}`, {
        method,
        headers: { authorization: `Bearer ${server?.adminToken}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      expect(res.status).toBe(200);
      return (await res.json()) as Record<string, any>;
    };
    await call('POST', '/scheduler/pause');
    const stepped = await call('POST', '/scheduler/step', { n: 25 });
    expect(stepped.stepsRun).toBe(25);
    // A record is marked (lastRecordStep) when its write starts, in the step that asks for it: at
    // most 9 steps behind after 25 forced steps. (The checkpointer's 1 s wall timer also records a
    // changed clock, but not within the ~ms between these two calls.)
    const last = (await call('GET', '/stats')).checkpoint.lastRecordStep as number;
    expect(last).toBeGreaterThan((stepped.step as number) - 10);
  });
});
