/**
 * Fuzz: game clients' hellos to a two-instance cluster (in-process runtimes a and b over a real redis-server and a
 * real PostgreSQL; a owns world `fz`, world `1` is the default). Seeded hellos to either instance: well-formed ones
 * with odd values — world ids known, unknown and odd; names, tokens and resume tokens of any characters (control
 * characters, surrogates, quotes, lengths up to the protocol's limits); tickets absent, real (taken from a redirect),
 * re-used for another world or session, cut, with one character changed, forged, or any string — so hellos are
 * served, redirected with signed tickets, and refused. A redirect is followed once in three.
 *
 * Asserted: every hello is answered (a welcome, a redirect or a coded error, never INTERNAL) or the socket closed
 * with a code the protocol documents; neither game server counts an internal error; afterwards a player joins
 * `fz` through b and buys once. First found (stop 67): a resume token of 256 control characters made the redirect's
 * ticket too long to sign (test/integration/cluster/hand-sent-requests.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { createRng, fuzzScale, fuzzSeed, type Rng, fuzzTimeout } from '../../fuzz-helpers/rng.js';
import { until } from '../../helpers/cluster-instances.js';
import { startPlayer } from '../../helpers/cluster-players.js';
import type { RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { sharedBackendOrSkip, twoRuntimesOwning } from '../../helpers/shared-cluster.js';
import { sendHello } from '../../helpers/raw-hello.js';

const { skip, pg } = await sharedBackendOrSkip('cluster hello fuzz');

const SEED = fuzzSeed(0x4e11);
const HELLOS = Math.round(150 * fuzzScale());
/** Close codes a hello may end with unanswered (docs/PROTOCOL.md "Close codes"), and 1000/1005 when the test closes first. */
const CLOSE_CODES = new Set([1000, 1005, 4002, 4004, 4009, 4013, 4014, 4015, 4016, 4017, 4018, 4019]);
/** The game server's `maxPayloadLength` (bytes): a larger frame is dropped by uWS with the connection (1006). */
const MAX_PAYLOAD = 1024;
/** The longest ticket a redirect may carry here (world id 64, instance id `a`, a 256-character base64url resume token, expiry, signature). */
const MAX_TICKET = 650;

/** A string of `n` characters from a hostile mix: control characters, lone surrogates, quotes, emoji, plain letters. */
const oddString = (rng: Rng, n: number): string => {
  const parts = ['\u0001', '\u0000', '\u001f', '\ud800', '\udc00', '"', '\\', '😀', 'a', 'Z', '-', '\u2028', '\ufffd', ' '];
  let s = '';
  while (s.length < n) s += rng.pick(parts);
  return s.slice(0, n);
};

/** A string for a hello field of at most `max` UTF-16 code units. */
const field = (rng: Rng, max: number, plain: string): string => {
  const r = rng.next();
  if (r < 0.4) return plain;
  if (r < 0.6) return oddString(rng, rng.int(0, max));
  if (r < 0.75) return oddString(rng, max);
  if (r < 0.9) return rng.str(rng.int(0, max));
  return rng.pick(['', ' ', '1', 'fz', 'null', '__proto__', 'constructor']);
};

/** A ticket: none, one of the real ones seen (as is, cut, a character changed), or anything. */
const ticketOf = (rng: Rng, seen: string[]): string | null => {
  const r = rng.next();
  if (r < 0.35 || (r < 0.75 && seen.length === 0)) return null;
  if (r < 0.55) return rng.pick(seen);
  if (r < 0.65) {
    const t = rng.pick(seen);
    return t.slice(0, rng.int(0, t.length - 1));
  }
  if (r < 0.75) {
    const t = rng.pick(seen);
    const i = rng.int(0, t.length - 1);
    return t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1);
  }
  if (r < 0.85)
    return `v1.${rng.str(rng.int(0, 600), 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')}.${rng.str(43, 'abcdef0123456789')}`;
  return field(rng, 2048, 'v1..');
};

describe.skipIf(skip !== null)('fuzz: hellos to a two-instance cluster', () => {
  const ctx = skip === null ? twoRuntimesOwning(pg as PgServer, { worldId: 'fz', worldNpcs: 20, args: ['--lease-ttl', '3'] }) : null;

  it(`${HELLOS} hellos (seed ${SEED}) to either instance: answered or closed as documented, never an internal error`, {
    timeout: fuzzTimeout(600_000),
  }, async () => {
    const [a, b] = ctx!.inst;
    const rng = createRng(SEED);
    const failed = (i: RuntimeInstance): number => i.runtime.gameServer.stats().internalErrors;
    const before = [failed(a), failed(b)];
    const tickets: string[] = [];
    const kinds = new Map<string, number>();
    for (let i = 0; i < HELLOS; i++) {
      const target = rng.chance(0.6) ? b : a;
      const worldId = rng.chance(0.8) ? rng.pick(['fz', 'fz', '1', 'nope']) : field(rng, 64, 'fz');
      const resume = rng.chance(0.5) ? null : field(rng, 256, 'AAAAAAAAAAAAAAAAAAAAAAAA');
      const frame: unknown[] = [
        1,
        1,
        worldId,
        field(rng, 32, `p${i}`),
        field(rng, 256, `tok-${rng.int(0, 20)}`),
        resume,
        ticketOf(rng, tickets),
      ];
      const at = `seed ${SEED} hello ${i} to ${target.id}: ${JSON.stringify(frame).slice(0, 400)}`;
      let answer = await sendHello(target.gameUrl, frame);
      const redirect = answer.msgs.find((m) => m[0] === 23);
      if (redirect && typeof redirect[3] === 'string') {
        // A ticket names the world, the target and a resume token only of the issued shape: short, whatever the hello held.
        expect(redirect[3].length, `${at}: a ticket of ${redirect[3].length} characters`).toBeLessThanOrEqual(MAX_TICKET);
        tickets.push(redirect[3]);
        // Followed: the same hello with the ticket, where the redirect says.
        if (rng.chance(0.33)) answer = await sendHello(String(redirect[2]), [...frame.slice(0, 6), redirect[3]]);
      }
      for (const m of answer.msgs) {
        if (m[0] === 20) {
          expect(m[1], `${at}: error code`).not.toBe('INTERNAL');
          expect(typeof m[1] === 'string' && typeof m[2] === 'string' && m[2].length > 0, `${at}: error ${JSON.stringify(m)}`).toBe(true);
        }
      }
      const first = answer.msgs.find((m) => m[0] === 16 || m[0] === 20 || m[0] === 23);
      const kind = first ? (first[0] === 20 ? String(first[1]) : first[0] === 16 ? 'welcome' : 'redirect') : `closed ${answer.code}`;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      // Unanswered: closed with a documented code; dropped (1006) only for a frame over the limit — a followed redirect
      // included: its ticket must leave room for the hello it came with (found: a ticket carrying an odd resume token).
      if (!first)
        expect(
          answer.code === 1006 ? answer.sent > MAX_PAYLOAD : CLOSE_CODES.has(answer.code ?? -1),
          `${at}: closed ${answer.code} without an answer (a ${answer.sent}-byte hello)`,
        ).toBe(true);
      expect([failed(a), failed(b)], `${at}: an internal error was counted`).toEqual(before);
    }
    expect(kinds.get('welcome') ?? 0, 'some hellos were served').toBeGreaterThan(0);
    expect(kinds.get('redirect') ?? 0, 'some hellos were redirected').toBeGreaterThan(0);
    // The cluster still serves players: one joins fz through b (redirected to a) and buys once.
    const p = await startPlayer('fz', 'fuzz-after', [b.gameUrl, a.gameUrl], 200);
    try {
      await until('the player bought', () => p.log.acked.size >= 1, 30_000);
    } finally {
      await p.stop();
    }
    console.log(`cluster hello fuzz: seed ${SEED}, ${HELLOS} hellos, first answers ${JSON.stringify(Object.fromEntries(kinds))}`);
  });
});
