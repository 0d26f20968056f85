/**
 * Incident drill: a game system suddenly costs 80 ms per step (a studio's bug). A real server process
 * (test/helpers/incident-game-main.ts) with two systems in phase `behavior`; a client turns the bug on
 * in world "1". The operator must see which system of which world, and what the controller did about it,
 * from the log, `/metrics` and `/stats` alone (docs/ADMIN.md "Runbook").
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/game-process.js';
import { incidentServer } from '../../helpers/incident-server.js';

// Emergency after 5 steps over 2× budget instead of the default streak: the drill reaches the mode change sooner.
const s = incidentServer({
  name: 'slow',
  main: 'test/helpers/incident-game-main.ts',
  npcs: 10,
  config: { scheduler: { controller: { spikeStreakLimit: 5 } } },
  join: 'studio-bug',
});
const { get } = s;

describe('incident: a game system costs 80 ms per step', () => {
  it('the overrun warning names the system, the mode change says why and what it throttled, /metrics and /stats rank the systems', async () => {
    s.client.sendMessage('slow', { ms: 80 });
    const overrun = await waitFor(
      () => s.p.lines.find((l) => l.msg === 'step over frame budget' && l.systemMs?.['loot-drop'] !== undefined),
      20_000,
    );
    expect(overrun.level).toBe(40);
    expect(overrun.world).toBe('1');
    // The costliest system first: the game's `loot-drop`, not its neighbour `weather` of the same phase.
    expect(Object.keys(overrun.systemMs)[0]).toBe('loot-drop');
    expect(overrun.systemMs['loot-drop']).toBeGreaterThan(overrun.budgetMs);
    expect(overrun.phaseMs.behavior).toBeGreaterThan(overrun.budgetMs);

    const mode = await waitFor(() => s.p.lines.find((l) => l.msg === 'controller mode changed' && l.from === 'normal'), 20_000);
    expect(mode.level).toBe(40);
    expect(mode.world).toBe('1');
    expect(['degraded', 'emergency']).toContain(mode.to);
    expect(mode.reason).toMatch(/spike streak|fast avg/);
    // What it throttled: the NPC tick budget and tier frequencies it set (docs/ADAPTIVE.md).
    expect(mode.budgets).toMatchObject({ npcTicks: expect.any(Number), tierFrequencyScale: expect.any(Number) });
    expect(mode.budgets.tierFrequencyScale).toBeGreaterThan(1);
    expect(Object.keys(mode.systemMs)[0]).toBe('loot-drop');

    const metrics = await (await get('/metrics')).text();
    const cost = (system: string): number => {
      const m = new RegExp(`^worldtick_system_last_seconds\\{world="1",system="${system}",phase="behavior"\\} (\\S+)$`, 'm').exec(metrics);
      expect(m, `worldtick_system_last_seconds for ${system}`).not.toBeNull();
      return Number(m![1]);
    };
    expect(cost('loot-drop')).toBeGreaterThan(cost('weather'));
    expect(metrics).toMatch(/^worldtick_system_seconds_total\{world="1",system="loot-drop",phase="behavior"\} /m);

    const stats = (await (await get('/api/v1/worlds/1/stats')).json()) as {
      cost: { systems: Array<{ name: string; phase: string; lastMs: number; avgMs: number }> };
      controller: { status: { mode: string; reason: string } };
    };
    const bySystem = new Map(stats.cost.systems.map((s) => [s.name, s]));
    expect(bySystem.get('loot-drop')?.phase).toBe('behavior');
    expect(bySystem.get('loot-drop')!.lastMs).toBeGreaterThan(bySystem.get('weather')!.lastMs);
    expect(stats.controller.status.mode).not.toBe('normal');
  }, 30_000);
});
