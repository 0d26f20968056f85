/**
 * Pages of the cluster's world list (docs/ADMIN.md "World routes", docs/CLUSTER.md): `GET
 * /api/v1/worlds?limit=N&after=<id>` on any instance pages the merged list (its own worlds and those
 * only other instances hold) in world-id order, each world once, with the same entries as the whole
 * list. Two in-process runtimes on a real redis-server and a real PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { until, createWorld } from '../../helpers/cluster-instances.js';
import type { RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { sharedBackendOrSkip, twoRuntimes } from '../../helpers/shared-cluster.js';

const { skip, pg } = await sharedBackendOrSkip('cluster worlds page');

type Entry = { id: string; owner: string | null; ownedHere: boolean };

describe.skipIf(skip !== null)('cluster: GET /api/v1/worlds pages the merged list', () => {
  const { inst } = twoRuntimes(pg as PgServer);

  it('every page from either instance: world-id order, each world once, as in the whole list', { timeout: 60_000 }, async () => {
    const [a, b] = inst;
    if (!a || !b) throw new Error('instances not started');
    // Ids of the two instances interleave, so a page mixes local worlds and worlds held elsewhere.
    for (const [i, ids] of [
      [a, ['w1', 'w4', 'w5', 'w8']],
      [b, ['w2', 'w3', 'w6', 'w7', 'w9']],
    ] as const)
      for (const id of ids) expect((await createWorld(i, { id, npcs: 0, capacity: 50 }, '?placement=local')).status, id).toBe(201);
    const whole = async (i: RuntimeInstance): Promise<Entry[]> => (await i.api('GET', '/api/v1/worlds')).json.worlds;
    await until('each instance lists all 10 worlds with their owners', async () => {
      for (const i of inst) {
        const w = await whole(i);
        if (w.length !== 10 || w.some((e) => e.owner === null)) return false;
      }
      return true;
    });
    for (const i of inst) {
      const all = await whole(i);
      for (const limit of [1, 3, 4]) {
        const seen: Entry[] = [];
        let after: string | undefined;
        for (let n = 0; n < 20; n++) {
          const r = await i.api('GET', `/api/v1/worlds?limit=${limit}${after === undefined ? '' : `&after=${after}`}`);
          expect(r.status).toBe(200);
          expect(r.json.total, `${i.id} limit ${limit}`).toBe(10);
          expect(r.json.instance).toBe(i.id);
          expect(r.json.worlds.length).toBeLessThanOrEqual(limit);
          seen.push(...r.json.worlds);
          after = r.json.next;
          if (after === undefined) break;
          expect(after).toBe(r.json.worlds.at(-1)?.id);
        }
        const pick = (e: Entry) => ({ id: e.id, owner: e.owner, ownedHere: e.ownedHere });
        expect(seen.map(pick), `${i.id} limit ${limit}`).toEqual(all.map(pick));
      }
    }
    // Bad values: the same 400 as on one instance.
    const bad = await a.api('GET', '/api/v1/worlds?limit=5000');
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ code: 'WT_ERR_ADMIN_BAD_REQUEST', details: { problems: [expect.stringMatching(/^limit must be/)] } });
  });
});
