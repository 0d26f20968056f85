/**
 * In cluster mode every log line names the instance that wrote it (docs/CLUSTER.md "Logs of many
 * instances"): one instance on a real redis-server, as `npm start` runs it; `instance` is bound on the
 * runtime's logger, once per line (no duplicate key), and no line uses it for another instance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInstance, until, type TestInstance } from '../../helpers/cluster-instances.js';
import { findRedisServer, startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';

const redisBin = findRedisServer();

describe.skipIf(redisBin === null)('cluster logs: instance on every line', () => {
  let redis: RedisTestServer;
  let inst: TestInstance;
  let raw = '';
  beforeAll(async () => {
    redis = await startRedisServer(redisBin ?? undefined);
    inst = await startInstance('solo-a', ['--redis', redis.url, '--npcs', '50', '--lease-ttl', '2']);
    inst.child.stdout?.on('data', (d: string) => (raw += d));
  });
  afterAll(async () => {
    await inst?.stop();
    await redis?.stop();
  });

  it('binds instance on every line of the runtime, exactly once', async () => {
    await until('the world steps here', () => inst.lines.some((l) => l.msg === 'cluster: world lease held, stepping'));
    await inst.stop();
    // Exit 1 is a final checkpoint refused (double run 45: once, with the lease TTL at 1 s on a starved machine): the
    // warn and error lines say why.
    expect(inst.child.exitCode, JSON.stringify(inst.lines.filter((l) => Number(l.level) >= 40))).toBe(0);
    const msgs = inst.lines.map((l) => l.msg);
    expect(msgs).toContain('worldtick starting');
    expect(msgs).toContain('runtime stopped');
    for (const l of inst.lines) expect(l.instance, String(l.msg)).toBe('solo-a');
    // Raw lines (those written after the listener was added): the key appears once per line.
    const rawLines = raw.split('\n').filter((x) => x.startsWith('{'));
    expect(rawLines.length).toBeGreaterThan(0);
    for (const line of rawLines) expect(line.match(/"instance":/g)?.length, line).toBe(1);
  });
});
