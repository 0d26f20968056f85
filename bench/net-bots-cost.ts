/**
 * `WT_NET_ONLY=bots` (suite `net`, bench/results/net-bots.json): what the load generator costs.
 * The 10,000 mix's shares (25 % active, 50 % idle players, 25 % spectators) at `WT_NET_CLIENTS`
 * sessions (default 2,000: the bots' core stays far from saturation, so the figure is a cost, not
 * a queue), 10 s, server pinned to CPU 0 and bots to CPU 1 as in every e2e run, run four times in
 * one sitting: bots on the `ws` package, on the raw transport, raw, ws (ABBA, so the machine's
 * drift falls on both). The figure to compare is `latencySplit.botsCpuUsPerSnapshot`: bots
 * process CPU (user + system) per snapshot received, which does not depend on how busy the
 * other core or the host is (docs/BOTS.md "Bot cost").
 */
import type { SuiteContext } from './harness.js';
import type { Pinning } from './net-bots-proc.js';
import { e2e, type E2eOptions } from './net-e2e.js';

/** The ABBA runs; `mix` gives the 10k mix's e2e options at a size. */
export const botsCost = async (
  ctx: SuiteContext,
  pin: Pinning,
  clients: number,
  secs: number,
  mix: (clients: number, secs: number, pin: Pinning, more: Partial<E2eOptions>) => E2eOptions,
): Promise<void> => {
  const order = ['ws', 'raw', 'raw', 'ws'] as const;
  const perSnap: Record<string, number[]> = { ws: [], raw: [] };
  for (let i = 0; i < order.length; i++) {
    const t = order[i];
    ctx.log(`e2e default: ${clients} clients, the mix, bots transport ${t} (run ${i + 1} of ${order.length}), 20 Hz, ${secs} s`);
    const fig = await e2e(ctx, mix(clients, secs, pin, { botsTransport: t }));
    ctx.record(`e2e${clients}MixBots${t === 'ws' ? 'Ws' : 'Raw'}${i + 1}`, fig);
    const split = fig.latencySplit as { botsCpuUsPerSnapshot: number | null };
    if (split.botsCpuUsPerSnapshot !== null) perSnap[t].push(split.botsCpuUsPerSnapshot);
  }
  const mean = (a: number[]): number => (a.length ? Math.round((a.reduce((x, y) => x + y, 0) / a.length) * 100) / 100 : 0);
  const ws = mean(perSnap.ws),
    raw = mean(perSnap.raw);
  ctx.log(`bots CPU µs per snapshot: ws ${ws}, raw ${raw} (ws / raw ${raw ? Math.round((ws / raw) * 100) / 100 : 'n/a'})`);
  ctx.record('botsCpuUsPerSnapshot', { ws, raw, wsOverRaw: raw ? Math.round((ws / raw) * 100) / 100 : null, runs: perSnap });
};
