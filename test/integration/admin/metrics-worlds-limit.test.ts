/**
 * `--metrics-worlds N` (docs/ADMIN.md "Metrics", "Sizing --max-worlds"): every world adds ~140
 * series to `/metrics` (42,000 for 300 match worlds: bench/many-worlds.ts); with the option only the
 * N oldest worlds have series labelled `world`, and world-free gauges count them all.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { call, useRuntime } from './harness.js';

/** The `world` label values of a scrape. */
const labelled = (text: string): string[] => [...new Set([...text.matchAll(/world="([^"]*)"/g)].map((m) => m[1] ?? ''))].sort();
const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('--metrics-worlds: per-world series for at most N worlds', () => {
  let player: WorldtickClient | undefined;
  const s = useRuntime(['--npcs', '0', '--metrics-worlds', '2']);
  beforeAll(async () => {
    for (const id of ['m-a', 'm-b', 'm-c', 'm-d']) {
      const made = await call(s.base, 'POST', '/api/v1/worlds', { body: { id, npcs: 5, capacity: 50 } });
      expect(made.status, made.text).toBe(201);
    }
    const paused = await call(s.base, 'POST', '/api/v1/worlds/m-d/scheduler/pause');
    expect(paused.status).toBe(200);
    // A player in a world left out: its session and ledger series are left out too.
    player = new WorldtickClient({ url: `ws://127.0.0.1:${s.runtime.gameServer.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await player.connect();
    await player.join('m-c', 'p', 'limit-test-player');
    expect((await player.purchase('buy-1', 'potion', 1, 10)).status).toBe('ok');
  });
  afterAll(async () => {
    player?.close();
  });

  it('labels the two oldest worlds only, and counts every world without a world label', async () => {
    const text = (await call(s.base, 'GET', '/metrics')).text;
    expect(labelled(text)).toEqual(['1', 'm-a']);
    expect(sample(text, 'worldtick_worlds{state="running"}')).toBe(4);
    expect(sample(text, 'worldtick_worlds{state="paused"}')).toBe(1);
    expect(sample(text, 'worldtick_worlds{state="faulted"}')).toBe(0);
    expect(sample(text, 'worldtick_metrics_worlds_unlabelled')).toBe(3);
  });

  it('gives a deleted world’s place to the next oldest', async () => {
    expect((await call(s.base, 'DELETE', '/api/v1/worlds/m-a')).status).toBe(200);
    const text = (await call(s.base, 'GET', '/metrics')).text;
    expect(labelled(text)).toEqual(['1', 'm-b']);
    expect(sample(text, 'worldtick_metrics_worlds_unlabelled')).toBe(2);
  });
});
