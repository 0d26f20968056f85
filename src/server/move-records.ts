/** The records of world moves between instances (src/server/cluster-migration.ts; `GET /api/v1/cluster/moves`). */

/** One take-over or hand-over, as recorded (wall ms). */
export interface MoveRecord {
  readonly worldId: string;
  readonly kind: 'migrated-out' | 'migrated-in' | 'failover';
  readonly fencingToken: number;
  readonly step: number;
  readonly worldTime: number;
  /** Epoch ms when it finished. */
  readonly at: number;
  /** Source: hold → target ready → sessions redirected; target: load and install. */
  readonly ms: number;
  readonly sessions: number;
  readonly to?: string;
}

/** Result of a migration. */
export interface MigrationResult extends MoveRecord {
  readonly from: string;
  readonly to: string;
  /** Wall ms the world did not step: hold on the source until the target answered it steps. */
  readonly pauseMs: number;
}
