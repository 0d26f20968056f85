/**
 * Long fuzz campaign (not part of the CI suite): a real runtime with three worlds and a low
 * socket message rate, hostile raw clients per seed (hello with tokens, forged and real resume
 * tokens, input, ping, purchase bursts over the rate, game messages, leave, hostile frames, drops)
 * plus hostile admin requests, and one good client per world.
 *
 *   npx tsx bench/fuzz-campaign.ts <fromSeed> <toSeed> [connsPerSeed]
 *
 * Checked after every seed (exits 1 with the seed on the first failure): no log line at level
 * 50/60, `internalErrors` 0, every error frame has a code and a message, every txResult names a
 * key its socket sent (printable keys: a lone surrogate comes back as U+FFFD), the good clients are never closed and keep getting snapshots (the loop
 * steps), `GET /api/v1/ledger/verify` ok. RSS is printed per 10 seeds (memory bounded).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { pack, unpack } from 'msgpackr';
import { WorldtickClient, type WebSocketCtor } from '../src/client/client.js';
import { parseOptions } from '../src/cli/options.js';
import { createLogger } from '../src/log.js';
import { createRuntime } from '../src/server/runtime.js';
import { genRequest } from '../test/fuzz-helpers/admin-requests.js';
import { hostileFrame, shapedFrame } from '../test/fuzz-helpers/frames.js';
import { rawHttp } from '../test/fuzz-helpers/raw-http.js';
import { openRaw, type RawWs } from '../test/fuzz-helpers/raw-ws.js';
import { createRng, ODD_KEYS, type Rng } from '../test/fuzz-helpers/rng.js';

const [from = 1, to = from, conns = 16] = process.argv.slice(2).map(Number);
const WORLDS = ['1', 'w2', 'w3'];
const TOKENS = ['tok-a', 'tok-b', 'tok-c', 'tok-d', 'tok-e', ''];
const ITEMS = ['potion', 'arrow', 'sword', 'shield', 'nope', '', '__proto__'];
const ADMIN_TOKEN = 'fuzz-token';

const dir = mkdtempSync(join(tmpdir(), 'wt-fuzz-campaign-'));
const config = join(dir, 'config.json');
writeFileSync(config, JSON.stringify({ net: { messageBurst: 10, messageRatePerSecond: 20, maxStrikes: 8 } }));
const severe: string[] = [];
const logSink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    for (const line of chunk.toString().split('\n'))
      if (line && (JSON.parse(line) as { level: number }).level >= 50) severe.push(line.slice(0, 600));
    cb();
  },
});
const args = ['--config', config, '--port', '0', '--admin-port', '0', '--npcs', '50', '--world-size', '300'];
const opts = parseOptions([...args, '--stats-interval', '0', '--admin-token', ADMIN_TOKEN, '--data-dir', join(dir, 'data')], {});
const rt = createRuntime({ ...opts, net: { ...(opts.net as object), resumeGraceSeconds: 3600 } }, createLogger('warn', logSink));
await rt.start();
const url = `ws://127.0.0.1:${rt.gameServer.port}`;
const adminPort = rt.admin.port;
const admin = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
  const res = await fetch(`http://127.0.0.1:${adminPort}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json().catch(() => null) };
};
for (const id of WORLDS.slice(1)) {
  const r = await admin('POST', '/api/v1/worlds', { id, npcs: 20, size: 200 });
  if (r.status !== 201) throw new Error(`create ${id}: ${r.status} ${JSON.stringify(r.json)}`);
}
const snapshots = new Map<string, number>();
const goodProblems: string[] = [];
for (const w of WORLDS) {
  const c = new WorldtickClient({ url, WebSocket: WebSocket as unknown as WebSocketCtor });
  await c.connect();
  c.on((m) => {
    if (m.type === 17) snapshots.set(w, (snapshots.get(w) ?? 0) + 1);
    if (m.type === 20) goodProblems.push(`good ${w} error ${m.code}`);
  });
  void c.closed().then(() => goodProblems.push(`good ${w} closed ${c.closeCode}`));
  await c.join(w, `good-${w}`);
}

const parked: string[] = [];
const ledgerId = (token: string): string => `t:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const key = (rng: Rng): string => (rng.chance(0.8) ? `k${rng.int(0, 60)}` : rng.pick([...ODD_KEYS, 'x'.repeat(129), '\u0000', '\ud800']));
const purchase = (rng: Rng): unknown[] => [
  4,
  key(rng),
  rng.pick(ITEMS),
  rng.pick([1, 2, 0, -1, 1e9, Number.NaN, 0.5]),
  rng.pick([1, 10, 150, 0, -5]),
];

/** One hostile connection's script; returns problems seen on it. */
const hostile = async (rng: Rng): Promise<string[]> => {
  const problems: string[] = [];
  let c: RawWs;
  try {
    c = await openRaw(url);
  } catch {
    return problems; // refused at capacity: not this driver's concern
  }
  const sentKeys = new Set<string>();
  const send = (v: unknown[]): void => {
    if (v[0] === 4 && typeof v[1] === 'string') sentKeys.add(v[1]);
    if (c.ws.readyState === WebSocket.OPEN) c.ws.send(pack(v), { binary: true });
  };
  const world = () => (rng.chance(0.9) ? rng.pick(WORLDS) : rng.pick(['nope', '__proto__', '']));
  for (let i = rng.int(1, 40); i > 0 && c.ws.readyState === WebSocket.OPEN; i--) {
    const r = rng.next();
    if (r < 0.15) {
      const resume = parked.length && rng.chance(0.4) ? rng.pick(parked) : rng.chance(0.2) ? `forged-${rng.int(0, 1e9)}` : null;
      const w = world();
      // SPLIT_TOKENS=1: one identity per world (leaves out the open cross-world wallet bug).
      const tok = rng.pick(TOKENS);
      send([1, 1, w, `h${i}`, process.env.SPLIT_TOKENS && tok ? `${tok}@${w}` : tok, resume]);
    } else if (r < 0.25) send([2, rng.int(0, 1000), rng.next() * 2 - 1, rng.next() * 2 - 1, rng.int(0, 3)]);
    else if (r < 0.45) send(purchase(rng));
    else if (r < 0.55)
      for (let j = rng.int(5, 30); j > 0; j--) send(purchase(rng)); // over the socket rate
    else if (r < 0.62) send([5, rng.pick(['chat', 'x', 'emote', '__proto__']), rng.chance(0.5) ? { text: 'hi' } : shapedFrame(rng, '1')]);
    else if (r < 0.66) send([6]);
    else if (r < 0.7) send([3, rng.next() * 1e9]);
    else if (r < 0.85) {
      const b = hostileFrame(rng, world(), 1024);
      try {
        const v: unknown = unpack(b); // a hostile frame may still be a purchase: its key is sent too
        if (Array.isArray(v) && v[0] === 4 && typeof v[1] === 'string') sentKeys.add(v[1]);
      } catch {}
      if (c.ws.readyState === WebSocket.OPEN) c.ws.send(b, { binary: true });
    } else await sleep(rng.int(0, 40));
  }
  await sleep(rng.int(0, 80));
  const welcome = c.msgs.find((m) => m[0] === 16);
  if (welcome && typeof welcome[6] === 'string' && rng.chance(0.5)) parked.push(welcome[6]);
  for (const m of c.msgs) {
    if (m[0] === 20 && (typeof m[1] !== 'string' || !m[1] || typeof m[2] !== 'string' || !m[2]))
      problems.push(`error frame without code/message: ${JSON.stringify(m)}`);
    if (m[0] === 21 && /^[\x20-\x7e]*$/.test(String(m[1])) && !sentKeys.has(String(m[1])))
      problems.push(`txResult for a key not sent: ${JSON.stringify(m).slice(0, 200)}`);
    if (m[0] === 'UNDECODABLE') problems.push('undecodable server frame');
  }
  if (rng.chance(0.3)) c.ws.terminate();
  else c.ws.close();
  return problems;
};

let pausesUndone = 0;
const adminRound = async (rng: Rng): Promise<string[]> => {
  const problems: string[] = [];
  for (let i = 0; i < 6; i++) {
    const g = genRequest(rng, []);
    if (g.req.path.startsWith('/api/v1/worlds/1/') && g.req.method === 'DELETE') continue;
    const res = await rawHttp(adminPort, g.req, 5000);
    if (!res) continue;
    if (res.status >= 500 && res.status !== 503)
      problems.push(`admin ${g.req.method} ${g.req.path} -> ${res.status} ${res.body.toString().slice(0, 200)}`);
  }
  const tok = rng.pick(TOKENS.slice(0, 5));
  const w = rng.pick(WORLDS);
  const grant = { playerId: ledgerId(process.env.SPLIT_TOKENS ? `${tok}@${w}` : tok), key: `g${rng.int(0, 1e6)}`, coins: rng.int(1, 500) };
  if (!process.env.NO_REWARDS) await admin('POST', `/api/v1/worlds/${w}/ledger/rewards`, grant);
  // A fuzzed `POST …/scheduler/pause` is a legitimate operator action (a paused world sends no
  // snapshots): resume the good clients' worlds, so "no snapshot" means what it says.
  for (const id of WORLDS) {
    const s = await admin('GET', `/api/v1/worlds/${id}`);
    if ((s.json as { paused?: unknown } | null)?.paused === true) {
      pausesUndone++;
      await admin('POST', `/api/v1/worlds/${id}/scheduler/resume`);
    }
  }
  return problems;
};

let failed = false;
for (let seed = from; seed <= to && !failed; seed++) {
  const rng = createRng(seed);
  const before = new Map(snapshots);
  const results = await Promise.all([...Array.from({ length: conns }, (_, i) => hostile(createRng(seed * 1000 + i))), adminRound(rng)]);
  await sleep(150);
  const problems = results.flat();
  const stats = rt.gameServer.stats();
  if (stats.internalErrors || rt.admin.counters.internalErrors)
    problems.push(`internalErrors game ${stats.internalErrors} admin ${rt.admin.counters.internalErrors}`);
  for (const w of WORLDS) if ((snapshots.get(w) ?? 0) <= (before.get(w) ?? 0)) problems.push(`no snapshot in ${w} during seed`);
  let verify = await admin('GET', '/api/v1/ledger/verify');
  // A commit in flight may be durable and not yet applied: only a mismatch that stays counts.
  for (let i = 0; i < 3 && !(verify.json as { ok?: boolean }).ok; i++) {
    await sleep(1000);
    verify = await admin('GET', '/api/v1/ledger/verify');
  }
  if (verify.status !== 200 || !(verify.json as { ok?: boolean }).ok)
    problems.push(`ledger verify ${verify.status} ${JSON.stringify(verify.json).slice(0, 300)}`);
  problems.push(...severe.splice(0), ...goodProblems.splice(0));
  if (parked.length > 200) parked.splice(0, 100);
  if (problems.length) {
    failed = true;
    console.log(`seed ${seed} FAILED:\n  ${problems.slice(0, 20).join('\n  ')}`);
    for (const m of ((verify.json as { mismatches?: { playerId: string }[] }).mismatches ?? []).slice(0, 1))
      for (const w of WORLDS) console.log(w, JSON.stringify((await admin('GET', `/api/v1/worlds/${w}/ledger/players/${m.playerId}`)).json));
  } else if (seed % 10 === 0)
    console.log(
      `seed ${seed} ok rss=${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB pausesUndone=${pausesUndone} tx=${JSON.stringify(stats.txResults)}`,
    );
}
await rt.stop();
rmSync(dir, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
