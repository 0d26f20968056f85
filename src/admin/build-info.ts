/**
 * What build a process runs, for operators: the package version, Node, the wire protocol, the
 * store schema, the checkpoint format and the checkpoint schema. Exported as `worldtick_build_info` (value 1, the facts as
 * labels: the Prometheus convention) and logged once at start (`worldtick starting`), so an upgrade
 * rolled over a cluster shows which instance runs what.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROTOCOL_VERSION } from '../net/protocol.js';
import { SNAPSHOT_FORMAT_VERSION } from '../persist/snapshot-format.js';
import { WORLD_SNAPSHOT_SCHEMA } from '../persist/world-snapshot.js';
import { LATEST_SCHEMA_VERSION } from '../store/migrations.js';

/** Build facts (strings: they are metric labels). */
export interface BuildInfo {
  /** `version` of the worldtick package.json (`unknown` when it cannot be found). */
  version: string;
  /** `process.version`. */
  node: string;
  /** Game wire protocol version (docs/PROTOCOL.md). */
  protocol: string;
  /** Newest store schema this build migrates to (docs/DURABILITY.md "Schema migrations"). */
  schema: string;
  /** Checkpoint container format (docs/DURABILITY.md "Format versions"). */
  checkpointFormat: string;
  /**
   * Newest checkpoint schema this build writes and reads (docs/DURABILITY.md "Format versions"): a
   * build refuses a checkpoint of a higher one (`WT_ERR_CHECKPOINT_TOO_NEW`), so two builds whose
   * checkpoint schemas differ do not take each other's newer worlds (docs/CLUSTER.md "Rolling upgrade").
   */
  checkpointSchema: string;
}

/** The version of the nearest package.json named `worldtick` above this module (src/ or dist/src/), or `unknown`. */
const packageVersion = (): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'worldtick' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here: one level up
    }
    dir = dirname(dir);
  }
  return 'unknown';
};

/** Read the build facts (the package version from disk, once per call). */
export const readBuildInfo = (): BuildInfo => ({
  version: packageVersion(),
  node: process.version,
  protocol: String(PROTOCOL_VERSION),
  schema: String(LATEST_SCHEMA_VERSION),
  checkpointFormat: String(SNAPSHOT_FORMAT_VERSION),
  checkpointSchema: String(WORLD_SNAPSHOT_SCHEMA),
});
