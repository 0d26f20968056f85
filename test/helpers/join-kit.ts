/**
 * What the join tests (net/join-admission.test.ts, net/join-rate.test.ts) share: the welcome's
 * message type, a wait counted in event-loop turns (no wall-time bound), and the servers and raw
 * sockets a test opens, closed after it.
 */
import { afterEach, expect } from 'vitest';
import type { RawWs } from '../fuzz-helpers/raw-ws.js';

/** Message type of `welcome` (docs/PROTOCOL.md). */
export const WELCOME = 16;

/** One macrotask: lets the server read what arrived and the step's drain run. */
export const macrotask = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

/** Wait (macrotasks) until `ok()`; fails, saying `what`, after 2000 turns. */
export const untilTurns = async (ok: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 2000 && !ok(); i++) await macrotask();
  expect(ok(), what).toBe(true);
};

/**
 * Sockets and servers a test opens, closed after each test of the file (the `afterEach` is
 * registered by this call): the sockets first, then the servers in the order they were added.
 */
export const closedAfterEach = (): { sockets: RawWs[]; servers: Array<{ stop(): Promise<unknown> }> } => {
  const sockets: RawWs[] = [];
  const servers: Array<{ stop(): Promise<unknown> }> = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.ws.close();
    for (const s of servers.splice(0)) await s.stop();
  });
  return { sockets, servers };
};
