/**
 * A port that is taken refuses the start with `WT_ERR_PORT_IN_USE` (docs/ADMIN.md "Logs": exit 2).
 * uWS's default listen sets SO_REUSEPORT on Linux, so before the servers listened exclusively both
 * cases below started: the admin API and the game server shared one port (or two servers shared
 * theirs) and the kernel spread new connections over both listeners.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/server-port.js';
import { call, startRuntime, type Started } from './harness.js';

/** Start a runtime with `flags`; the coded error it was refused with (the runtime stopped again), or '' when it started. */
const refusal = async (flags: string[]): Promise<{ code: string; message: string }> => {
  let s: Started | undefined;
  try {
    s = await startRuntime(flags);
  } catch (err) {
    return { code: String((err as { code?: string }).code), message: (err as Error).message };
  }
  await s.stop();
  return { code: '', message: '' };
};

describe('ports that are taken', () => {
  let first: Started;
  beforeAll(async () => {
    // Fixed ports, as an operator gives them (a listen on port 0 never shared its port).
    first = await startRuntime(['--port', String(await freePort()), '--admin-port', String(await freePort())]);
  });
  afterAll(async () => {
    await first?.stop();
  });

  it('a game port equal to the admin port is refused', async () => {
    const port = String(await freePort());
    const r = await refusal(['--port', port, '--admin-port', port]);
    expect(r.code).toBe('WT_ERR_PORT_IN_USE');
    expect(r.message).toContain(`127.0.0.1:${port}`);
  });

  it("a second server on a running server's admin or game port is refused; the first keeps serving", async () => {
    const admin = await refusal(['--admin-port', String(first.port)]);
    expect(admin.code).toBe('WT_ERR_PORT_IN_USE');
    const game = await refusal(['--port', String(first.runtime.gameServer.port)]);
    expect(game.code).toBe('WT_ERR_PORT_IN_USE');
    for (let i = 0; i < 6; i++) expect((await call(first.base, 'GET', '/api/v1/worlds')).status).toBe(200);
  });
});
