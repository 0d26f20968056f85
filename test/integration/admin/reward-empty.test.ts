/**
 * `POST /api/v1/worlds/{id}/ledger/rewards` with neither `coins` nor `item` is a 400 saying so,
 * before the ledger. Before, the ledger answered it 422 `TX_BAD_QUANTITY` — about a quantity the
 * operator never sent. Real server, real HTTP. A refusal by the ledger (409, 422) answers the ledger's
 * result with the `{code, message}` every admin error has (docs/ADMIN.md "Errors"), and grants nothing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { defineGame, startServer, type RunningServer } from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const dir = tempDataDir('wt-reward-empty-');
let server: RunningServer | null = null;
afterAll(async () => {
  await server?.stop();
  dir.remove();
});

describe('admin reward without coins or item', () => {
  it("is a 400 naming what is missing; a reward with coins still commits; the ledger's refusals say code and message", {
    timeout: 20_000,
  }, async () => {
    server = await startServer(defineGame({ name: 'rewards', world: { size: 50, npcs: 0 } }), {
      options: { port: 0, adminPort: 0, logLevel: 'silent', dataDir: dir.dir, adminToken: 'reward-token-0123' },
    });
    const post = async (body: unknown) => {
      const r = await fetch(`http://127.0.0.1:${server?.adminPort}/api/v1/worlds/1/ledger/rewards`, {
        method: 'POST',
        headers: { authorization: 'Bearer reward-token-0123', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return {
        status: r.status,
        json: (await r.json()) as { code?: string; details?: { problems?: string[] }; result?: { status: string } },
      };
    };
    const empty = await post({ playerId: 't:x', key: 'k1' });
    expect(empty.status).toBe(400);
    expect(empty.json.code).toBe('WT_ERR_ADMIN_BAD_REQUEST');
    expect(empty.json.details?.problems).toEqual(['a reward needs coins or an item (with quantity)']);
    const ok = await post({ playerId: 't:x', key: 'k2', coins: 5 });
    expect([ok.status, ok.json.result?.status]).toEqual([200, 'ok']);
    // The ledger's refusals carry the `{code, message}` of every admin error beside its result, and grant nothing.
    const ledger = async (): Promise<unknown[]> =>
      (
        (await (
          await fetch(`http://127.0.0.1:${server?.adminPort}/api/v1/worlds/1/ledger/players/t:x`, {
            headers: { authorization: 'Bearer reward-token-0123' },
          })
        ).json()) as { entries: unknown[] }
      ).entries;
    const before = await ledger();
    expect(before).toHaveLength(1);
    const refusals = [
      [{ playerId: 't:x', key: 'k3', coins: 2 ** 31 }, 422, 'TX_BAD_QUANTITY', /an integer in 0\.\.1000000000/],
      [{ playerId: 't:x', key: 'k2', coins: 6 }, 409, 'TX_KEY_CONFLICT', /the first one stands/],
      [{ playerId: 't:x', key: 'k4', item: 'nope' }, 422, 'TX_UNKNOWN_ITEM', /no such item/],
      [{ playerId: 'a b', key: 'k5', coins: 1 }, 422, 'TX_BAD_REQUEST', /visible ASCII/],
    ] as const;
    for (const [body, status, code, message] of refusals) {
      const r = await post(body);
      const j = r.json as { code?: string; message?: string; result?: { status: string; code: string } };
      expect([r.status, j.code, j.result?.status, j.result?.code], JSON.stringify(body)).toEqual([status, code, 'rejected', code]);
      expect(j.message).toMatch(message);
    }
    expect(await ledger()).toEqual(before);
  });
});
