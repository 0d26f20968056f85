/**
 * Requests an operator or a script may send by hand to a cluster's admin API, found by the cluster admin fuzz
 * (test/integration/fuzz/cluster-admin-fuzz.test.ts, stop 67). Two in-process runtimes on a real redis-server and a
 * real PostgreSQL; a owns world `fz`.
 *
 * - `POST /api/v1/cluster/adopt` for a world the instance already steps under its own lease (nothing was handed to
 *   it: the peers' route called by hand) changes nothing: answered 200 `alreadyHere` with the world's current step
 *   and token, nothing restored, the player in it kept. Before, the instance restored the world from its last
 *   checkpoint over the live one: its step went back, the restore was logged ("world taken over from its
 *   checkpoint"), and the players' entities were dropped. The other instance, which holds no lease of the world,
 *   still answers 503 (`lease … is not ours`) and changes nothing.
 * - A request forwarded to the owner carries its body as received. Before, the body was written out again with
 *   `JSON.stringify`, which recurses: a body nested 20,000 deep (read by `JSON.parse`) threw a RangeError, logged, and
 *   the caller was told 503 "the owner … did not answer" (retrying could never help).
 * - A game client's hello for a world owned by the other instance, with a resume token of 256 control characters
 *   (allowed by the protocol, never issued), is redirected like any other: its ticket names no resume token (only one
 *   of the shape the server issues), so the followed hello fits the frame limit; at the owner the token is refused as
 *   unknown and the client joins afresh. Before, the hello was answered INTERNAL (the ticket, carrying the token
 *   JSON-escaped, was past 2,048 characters) and counted as a game server handler failure; an odd token that did fit
 *   made a ticket the followed hello could not carry within the 1,024-byte frame limit (dropped, 1006).
 */
import { describe, expect, it } from 'vitest';
import { monotonic, startPlayer } from '../../helpers/cluster-players.js';
import { CLUSTER_TOKEN, until } from '../../helpers/cluster-instances.js';
import { deepJsonText } from '../../fuzz-helpers/rng.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { sharedBackendOrSkip, twoRuntimesOwning } from '../../helpers/shared-cluster.js';
import { sendHello } from '../../helpers/raw-hello.js';

const { skip, pg } = await sharedBackendOrSkip('cluster adopt of an owned world');

describe.skipIf(skip !== null)('cluster: requests sent by hand', () => {
  const ctx = skip === null ? twoRuntimesOwning(pg as PgServer, { worldId: 'fz', worldNpcs: 20, args: ['--lease-ttl', '3'] }) : null;

  it('an adopt request for a world stepped here is answered alreadyHere and restores nothing; the player in it stays', async () => {
    const [a, b] = ctx!.inst;
    const p = await startPlayer('fz', 'ada', [a.gameUrl]);
    try {
      await until('the player gets snapshots', () => p.log.steps.length >= 10);
      // A checkpoint to go back to, then some steps past it.
      expect((await a.api('POST', '/api/v1/worlds/fz/checkpoint', {})).status).toBe(200);
      const checkpointed = (await a.api('GET', '/api/v1/worlds/fz')).json.step as number;
      await until(
        'the world steps past its checkpoint',
        async () => (await a.api('GET', '/api/v1/worlds/fz')).json.step > checkpointed + 10,
      );
      const before = (await a.api('GET', '/api/v1/worlds/fz')).json.step as number;
      const restoresBefore = a.lines.filter((l) => l.msg === 'cluster: world taken over from its checkpoint').length;

      const r = await a.api('POST', '/api/v1/cluster/adopt', { worldId: 'fz', from: 'b' });
      expect(r.status, r.text).toBe(200);
      expect(r.json.alreadyHere).toBe(true);
      expect(r.json.step).toBeGreaterThanOrEqual(before);
      const after = (await a.api('GET', '/api/v1/worlds/fz')).json;
      expect(after.step).toBeGreaterThanOrEqual(before);
      expect(a.lines.filter((l) => l.msg === 'cluster: world taken over from its checkpoint').length).toBe(restoresBefore);

      // The instance that holds no lease of it: refused, nothing changes.
      const other = await b.api('POST', '/api/v1/cluster/adopt', { worldId: 'fz' });
      expect(other.status, other.text).toBe(503);
      expect(other.json.code).toBe('WT_ERR_MIGRATION_FAILED');

      const seen = p.log.steps.length;
      await until('the player gets more snapshots', () => p.log.steps.length >= seen + 10);
      expect(monotonic(p.log.steps), 'the player never saw its world go back').toBe(true);
      expect(p.log.reconnects).toBe(0);
      expect((await a.api('GET', '/api/v1/cluster')).json.leases.find((l: { worldId: string }) => l.worldId === 'fz').instanceId).toBe('a');
    } finally {
      await p.stop();
    }
  }, 60_000);

  it("a forwarded request carries its body as received: one nested 20,000 deep is the owner's to refuse", async () => {
    const [a, b] = ctx!.inst;
    const body = `{"simulation":${deepJsonText(20_000, 'array')}}`;
    expect(() => JSON.stringify(JSON.parse(body))).toThrow(RangeError); // what the forward did with it
    const res = await fetch(`${b.adminUrl}/api/v1/worlds/fz/scheduler/config`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${CLUSTER_TOKEN}`, 'content-type': 'application/json' },
      body,
    });
    const text = await res.text();
    expect(res.status, text).toBe(400);
    expect(res.headers.get('x-worldtick-owner')).toBe('a');
    expect(JSON.parse(text).code).toMatch(/^WT_ERR_/);
    expect(b.lines.filter((l) => /RangeError/.test(JSON.stringify(l)))).toEqual([]);
    // The world's config is as it was.
    expect((await a.api('GET', '/api/v1/worlds/fz/scheduler/config')).json.configVersion).toBe(
      (await b.api('GET', '/api/v1/worlds/fz/scheduler/config')).json.configVersion,
    );
  }, 60_000);

  it('a hello with a resume token too long for a ticket is redirected, and joins afresh at the owner', async () => {
    const [a, b] = ctx!.inst;
    const resumeToken = '\u0001'.repeat(256);
    const odd = '"\\\u0002'.repeat(60); // fits a ticket once escaped, not a followed hello beside it
    const welcomed = (msgs: readonly unknown[][]): boolean => msgs.some((m) => m[0] === 16);
    const hello = (url: string, frame: unknown[]) => sendHello(url, frame, welcomed);
    const failedBefore = b.runtime.gameServer.stats().internalErrors;
    const r = await hello(b.gameUrl, [1, 1, 'fz', 'ctl', 'tok-ctl', resumeToken, null]);
    const redirect = r.msgs.find((m) => m[0] === 23);
    expect(redirect, JSON.stringify(r.msgs).slice(0, 300)).toBeDefined();
    expect(redirect![2]).toBe(a.gameUrl);
    expect(b.runtime.gameServer.stats().internalErrors).toBe(failedBefore);
    expect(String(redirect![3]).length, 'the ticket names no token').toBeLessThan(200);
    // Followed: the owner takes the ticket, refuses the token as unknown, and joins the client as a new player.
    const f = await hello(a.gameUrl, [1, 1, 'fz', 'ctl', 'tok-ctl', resumeToken, redirect![3]]);
    expect(
      f.msgs.some((m) => m[0] === 20 && m[1] === 'RESUME_REFUSED'),
      JSON.stringify(f.msgs).slice(0, 300),
    ).toBe(true);
    expect(f.msgs.some((m) => m[0] === 16)).toBe(true);
    // A token that fits a ticket, followed with it: the followed hello is within the frame limit and joins.
    const r2 = await hello(b.gameUrl, [1, 1, 'fz', 'odd', 'tok-odd', odd, null]);
    const redirect2 = r2.msgs.find((m) => m[0] === 23);
    expect(redirect2, JSON.stringify(r2.msgs).slice(0, 300)).toBeDefined();
    const f2 = await hello(a.gameUrl, [1, 1, 'fz', 'odd', 'tok-odd', odd, redirect2![3]]);
    expect(
      f2.msgs.some((m) => m[0] === 16),
      `${JSON.stringify(f2.msgs).slice(0, 300)} closed ${f2.code}`,
    ).toBe(true);
  }, 60_000);
});
