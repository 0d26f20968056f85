/**
 * Process CPU meter for the controller's CPU budget (issue 12 item 5): the share of one core
 * the whole process used (user + system, `process.cpuUsage`) over a wall window of at least
 * `windowMs`. The loop runner samples it on its real timer and hands the share to every
 * world's controller (`controller.cpuShare`); manual stepping (tests, step mode) never samples,
 * so a test's own busy loop cannot move a world's mode.
 */

/** State of one meter (plain data; one per loop runner). */
export interface CpuMeter {
  /** Wall ms (performance.now) of the window's start. */
  startMs: number;
  /** `process.cpuUsage()` at the window's start (microseconds). */
  startCpu: NodeJS.CpuUsage;
  /** Shortest window (wall ms) a share is computed over. */
  windowMs: number;
  /** Last computed share of one core (1 = one full core); -1 until the first window closes. */
  share: number;
}

/** A meter whose first window starts now. */
export const createCpuMeter = (nowMs: number, windowMs = 1000): CpuMeter => ({
  startMs: nowMs,
  startCpu: process.cpuUsage(),
  windowMs,
  share: -1,
});

/**
 * Close the window if it is at least `windowMs` long: returns the new share of one core and
 * starts the next window; otherwise returns -1 (no new figure).
 */
export const sampleCpu = (m: CpuMeter, nowMs: number): number => {
  const wall = nowMs - m.startMs;
  if (wall < m.windowMs) return -1;
  const cpu = process.cpuUsage();
  m.share = cpuMsBetween(m.startCpu, cpu) / wall;
  m.startMs = nowMs;
  m.startCpu = cpu;
  return m.share;
};

/** CPU (user + system, every thread of the process) used between two `process.cpuUsage()` readings, ms. */
export const cpuMsBetween = (from: NodeJS.CpuUsage, to: NodeJS.CpuUsage): number => (to.user - from.user + to.system - from.system) / 1000;

/** What the process did over a stretch of wall time, from the CPU it used ({@link cpuVerdict}). */
export type CpuVerdict = 'busy' | 'contended' | 'off-cpu';

/**
 * What the process did over `wallMs` in which it used `cpuMs` of CPU: `busy` (at least half a core: its
 * own work held the event loop), `contended` (10-50 %: it ran part of the time — work slowed by other
 * processes competing for the cores, a CPU quota, or a pause over part of the stretch), `off-cpu` (under
 * 10 %: it was not running — stopped, a paused VM — or it waited in a synchronous system call, a disk write).
 */
export const cpuVerdict = (cpuMs: number, wallMs: number): CpuVerdict =>
  cpuMs >= wallMs / 2 ? 'busy' : cpuMs >= wallMs / 10 ? 'contended' : 'off-cpu';
