/**
 * Checkpoint now (docs/ADMIN.md "Checkpoint now"): the operator, or a test, has a world's full
 * checkpoint written at once instead of waiting for `--checkpoint-interval`, e.g. before a risky
 * operation or a planned kill.
 *
 *   POST /api/v1/worlds/:id/checkpoint   (no body, or {})
 *
 * The answer waits for the write: 200 `{ worldId, step, bytes }` once it is durable. A checkpoint in
 * flight is waited for first, then a new one is taken (so the answer's covers every step before the
 * request). Refusals: 404 `WT_ERR_WORLD_NOT_FOUND`; 409 `WT_ERR_ADMIN_CONFLICT` when this instance
 * does not hold the world's lease (cluster: requests are forwarded to the owner, so only during a
 * move); 503 `WT_ERR_WORLD_NOT_DURABLE` when the write failed (the store's error in the message;
 * counted in `worldtick_checkpoints_total{outcome="failed"}` and logged as a timed
 * checkpoint's).
 */
import { ErrorCode, worldNotFound, WorldtickError } from '../errors.js';
import type { LoopRunner } from '../loop/loop-runner.js';
import type { CheckpointOutcome } from '../persist/checkpointer.js';
import { conflict } from './http-errors.js';
import type { Route } from './router.js';
import { noBody } from './routes-worlds.js';

/** Options of {@link checkpointRoutes}. */
export interface CheckpointRoutesOptions {
  runner: LoopRunner;
  /** Take a checkpoint of world `worldId` now (the runtime's `Checkpointer.checkpoint`). */
  checkpoint: (worldId: string) => Promise<CheckpointOutcome>;
}

const clip = (s: string): string => (s.length > 64 ? `${s.slice(0, 64)}…` : s);

/** The checkpoint route. */
export const checkpointRoutes = (opts: CheckpointRoutesOptions): Route[] => [
  {
    method: 'POST',
    pattern: '/api/v1/worlds/:id/checkpoint',
    body: true,
    handler: async (req) => {
      const id = req.params.id ?? '';
      if (!opts.runner.has(id)) throw worldNotFound(clip(id));
      noBody(req);
      const out = await opts.checkpoint(id);
      if (out.status === 'saved') return { json: { worldId: id, step: out.step, bytes: out.bytes } };
      if (out.status === 'untracked') throw worldNotFound(clip(id)); // deleted while the request waited
      if (out.status === 'not-owner')
        throw conflict(`this instance does not hold the lease of world ${id} (it is moving or owned elsewhere): nothing written`, {
          worldId: id,
        });
      const why = out.error instanceof Error ? out.error.message.slice(0, 300) : String(out.error).slice(0, 300);
      throw new WorldtickError(ErrorCode.WORLD_NOT_DURABLE, `the checkpoint of world ${id} was not written: ${why}`);
    },
  },
];
