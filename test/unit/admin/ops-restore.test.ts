/**
 * Operator state as data (src/admin/ops-record.ts, OpsState.worldState / restoreWorld): the
 * override's monotonic expiry becomes a wall-clock one and back; an expired one is not put back;
 * declared tasks are declared again (a taken name or a bad declaration is skipped, not thrown);
 * stored records are validated when read.
 */
import { describe, expect, it } from 'vitest';
import { parseRuntimeOpsRecord, parseWorldOpsRecord } from '../../../src/admin/ops-record.js';
import { OpsState } from '../../../src/admin/ops-state.js';
import { forceControllerMode } from '../../../src/controller/controller.js';
import { declareTask } from '../../../src/periodic/declared-tasks.js';
import { createSimWorld } from '../../../src/world/sim-world.js';

const world = (id = 'r') => createSimWorld({ id, capacity: 32 });

describe('operator state: save and restore', () => {
  it('round-trips maintenance, the override (remaining time) and API-declared tasks onto a fresh world', () => {
    const a = world();
    const ops = new OpsState();
    ops.setWorld(a, true, 'upgrade');
    forceControllerMode(a, 'emergency', 600, 'drill', 1_000); // monotonic ms 1,000 → ends at 601,000
    ops.taskDeclared(a.id, declareTask(a, { name: 'refresh', intervalSeconds: 30, priority: 3 }));
    const state = ops.worldState(a, 5_000_000, 101_000); // 100 s later on the monotonic clock: 500 s left
    expect(state.maintenance).toMatchObject({ on: true, reason: 'upgrade' });
    expect(state.override).toEqual({ mode: 'emergency', reason: 'drill', expiresAt: 5_500_000 });
    expect(state.tasks).toEqual([expect.objectContaining({ name: 'refresh', intervalSeconds: 30, priority: 3 })]);
    // Through JSON, as the store keeps it.
    const rec = parseWorldOpsRecord(JSON.parse(JSON.stringify({ format: 1, incarnation: 'i1', ...state })));
    expect(rec).not.toBeNull();

    const b = world();
    const ops2 = new OpsState();
    const sum = ops2.restoreWorld(b, rec, 5_100_000); // 100 s of wall time passed: 400 s left
    expect(sum).toMatchObject({ maintenance: true, overrideSeconds: 400, overrideExpired: false, tasks: ['refresh'], skipped: [] });
    expect(ops2.isOn('r')).toBe(true);
    expect(b.periodic.maintenance).toBe(true);
    expect(b.jobs.held).toBe(true);
    expect(b.controller.mode).toBe('emergency');
    expect(b.periodic.status().find((t) => t.name === 'refresh')).toMatchObject({ declared: true, intervalSeconds: 30 });
    // What it saves next is what it restored.
    expect(ops2.worldState(b).tasks.map((t) => t.name)).toEqual(['refresh']);
  });

  it('an expired override is not put back; a taken name and a bad declaration are skipped', () => {
    const w = world();
    declareTask(w, { name: 'taken', intervalSeconds: 5 });
    const ops = new OpsState();
    const sum = ops.restoreWorld(
      w,
      {
        maintenance: { on: false, reason: '', since: null },
        override: { mode: 'degraded', reason: 'old', expiresAt: 1_000 },
        tasks: [
          { name: 'taken', intervalSeconds: 99 } as never,
          { name: 'bad', intervalSeconds: -1 } as never,
          { name: 'ok', intervalSeconds: 2 } as never,
        ],
      },
      2_000,
    );
    expect(sum.overrideExpired).toBe(true);
    expect(sum.overrideSeconds).toBeNull();
    expect(w.controller.override).toBeNull();
    expect(w.controller.mode).toBe('normal');
    expect(sum.tasks).toEqual(['ok']);
    expect(sum.skipped.map((s) => s.name)).toEqual(['taken', 'bad']);
    expect(w.periodic.status().find((t) => t.name === 'taken')?.intervalSeconds).toBe(5);
    expect(ops.isOn(w.id)).toBe(false);
  });

  it('restore replaces what the process held; the runtime flag holds restored worlds', () => {
    const w = world();
    const ops = new OpsState();
    ops.setWorld(w, true, 'before');
    ops.restoreRuntime({ on: true, reason: 'site', since: '2026-01-01T00:00:00.000Z' }, [w]);
    ops.restoreWorld(w, null);
    expect(ops.worldFlag(w.id).on).toBe(false);
    expect(ops.isOn(w.id)).toBe(true); // the runtime's flag
    expect(w.periodic.maintenance).toBe(true);
    expect(ops.changes.maintenance).toBe(1); // restores are not operator changes
  });

  it('stored records are validated', () => {
    expect(parseWorldOpsRecord(null)).toBeNull();
    expect(parseWorldOpsRecord({ format: 2, maintenance: { on: true }, tasks: [] })).toBeNull();
    expect(parseWorldOpsRecord({ format: 1, maintenance: { on: 'yes' }, tasks: [] })).toBeNull();
    expect(parseWorldOpsRecord({ format: 1, maintenance: { on: true }, tasks: {} })).toBeNull();
    expect(
      parseWorldOpsRecord({ format: 1, maintenance: { on: true }, override: { mode: 'turbo', expiresAt: 1 }, tasks: [1, {}] }),
    ).toEqual({
      format: 1,
      incarnation: null,
      maintenance: { on: true, reason: '', since: null },
      override: null,
      tasks: [{}],
    });
    expect(parseRuntimeOpsRecord({ format: 1, maintenance: { on: false, reason: 'x' } })).toEqual({
      format: 1,
      maintenance: { on: false, reason: '', since: null },
    });
  });
});
