/**
 * `GET /api/v1/worlds?limit=N&after=<id>` (docs/ADMIN.md "World routes"): pages of the world list in
 * world-id order, `next` the cursor of the following page; without `limit` or `after` the answer is
 * the whole list as before; bad values are one 400 listing every bad field, counted. A real runtime.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { call, count400, expectRefused, useRuntime } from './harness.js';

const CREATED = ['m-b', 'm-a', 'Z', 'm-c', 'arena', 'm_d', '7'];
const s = useRuntime(['--npcs', '50', '--max-worlds', '16']);
beforeAll(async () => {
  for (const id of CREATED)
    expect((await call(s.base, 'POST', '/api/v1/worlds', { body: { id, npcs: 0, capacity: 50 } })).status).toBe(201);
});

/** Code-unit order, as the route sorts. */
const byId = (ids: string[]): string[] => [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const ALL = byId(['1', ...CREATED]);

/** Every page of the list with `limit`, following `next`. */
const pages = async (limit: number) => {
  const out: Array<{ ids: string[]; next?: string; total: number }> = [];
  let after: string | undefined;
  for (let i = 0; i < 20; i++) {
    const r = await call(s.base, 'GET', `/api/v1/worlds?limit=${limit}${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`);
    expect(r.status).toBe(200);
    out.push({ ids: r.json.worlds.map((w: { id: string }) => w.id), next: r.json.next, total: r.json.total });
    after = r.json.next;
    if (after === undefined) return out;
  }
  throw new Error('more than 20 pages');
};

describe('GET /api/v1/worlds pages', () => {
  it('without limit or after: the whole list, no next, no total (as before)', async () => {
    const r = await call(s.base, 'GET', '/api/v1/worlds');
    expect(r.status).toBe(200);
    expect(r.json.next).toBeUndefined();
    expect(r.json.total).toBeUndefined();
    expect(r.json.worlds.map((w: { id: string }) => w.id).sort()).toEqual([...ALL].sort());
    // An unknown parameter is refused (before, ignored: a typo such as limt answered the whole list), counted.
    await expectRefused(
      s.base,
      'GET',
      '/api/v1/worlds?limt=25',
      'invalid worlds page request: query parameter limt is not taken (limit, after)',
    );
  });

  it('pages of 3 in world-id order cover every world once; next is the last id of a page; total counts all', async () => {
    const got = await pages(3);
    expect(got.map((p) => p.ids.length)).toEqual([3, 3, 2]);
    expect(got.flatMap((p) => p.ids)).toEqual(ALL);
    for (const p of got.slice(0, -1)) expect(p.next).toBe(p.ids.at(-1));
    expect(got.at(-1)?.next).toBeUndefined();
    for (const p of got) expect(p.total).toBe(ALL.length);
    // A page holds the same summaries as the whole list.
    const first = await call(s.base, 'GET', '/api/v1/worlds?limit=1');
    expect(first.json.worlds[0]).toMatchObject({ id: ALL[0], entities: expect.any(Number), paused: false });
    // Exactly as many as there are: no next.
    expect((await call(s.base, 'GET', `/api/v1/worlds?limit=${ALL.length}`)).json.next).toBeUndefined();
  });

  it('after alone pages with the default limit; after an id that is gone goes on from where it was', async () => {
    const r = await call(s.base, 'GET', '/api/v1/worlds?after=arena');
    expect(r.status).toBe(200);
    expect(r.json.worlds.map((w: { id: string }) => w.id)).toEqual(ALL.filter((id) => id > 'arena'));
    const gone = await call(s.base, 'GET', '/api/v1/worlds?limit=2&after=m-bb');
    expect(gone.json.worlds.map((w: { id: string }) => w.id)).toEqual(['m-c', 'm_d']);
  });

  it('bad limit and after: one 400 with the admin error shape listing both, counted', async () => {
    const before = await count400(s.base);
    const r = await call(s.base, 'GET', '/api/v1/worlds?limit=0&after=');
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('WT_ERR_ADMIN_BAD_REQUEST');
    expect(r.json.details.problems).toEqual([
      expect.stringMatching(/^limit must be an integer between 1 and 1000/),
      expect.stringMatching(/^after must be a world id \(1-256 characters\)/),
    ]);
    for (const q of ['limit=abc', 'limit=1001', 'limit=2.5', 'limit=-1', 'limit=', 'limit=1&limit=2', `after=${'x'.repeat(257)}`]) {
      const bad = await call(s.base, 'GET', `/api/v1/worlds?${q}`);
      expect(bad.status, q).toBe(400);
      expect(bad.json.code, q).toBe('WT_ERR_ADMIN_BAD_REQUEST');
      expect(bad.json.details.problems, q).toHaveLength(1);
    }
    expect(await count400(s.base)).toBe(before + 8);
    expect((await call(s.base, 'GET', '/api/v1/worlds?limit=1000')).json.worlds).toHaveLength(ALL.length);
  });

  it('GET /api/v1/cluster?view=summary: no per-world lists, the first 10 world ids per instance and the counts', async () => {
    const whole = (await call(s.base, 'GET', '/api/v1/cluster')).json;
    const r = await call(s.base, 'GET', '/api/v1/cluster?view=summary');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ mode: whole.mode, instance: whole.instance, draining: false, worldCount: whole.leases.length });
    expect(r.json.leases).toBeUndefined();
    expect(r.json.held).toBeUndefined();
    expect(r.json.stepRanges).toBeUndefined();
    expect(r.json.instances).toHaveLength(whole.instances.length);
    for (const [n, i] of r.json.instances.entries()) {
      expect(i.worldCount).toBe(whole.instances[n].worlds.length);
      expect(i.worlds).toEqual(whole.instances[n].worlds.slice(0, 10));
    }
    const bad = await call(s.base, 'GET', '/api/v1/cluster?view=all');
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({
      code: 'WT_ERR_ADMIN_BAD_REQUEST',
      details: { problems: ['view must be summary (or absent: the whole view), given once (got "all")'] },
    });
    // A typo of view is refused, not answered with the whole view.
    await expectRefused(
      s.base,
      'GET',
      '/api/v1/cluster?veiw=summary',
      'invalid cluster view request: query parameter veiw is not taken (view)',
    );
  });
});
