/**
 * An upgrade, as an operator sees it: a store written by the previous release (schema 3, before
 * player data) is opened by this build in a real server process. The log says which build started
 * (`worldtick starting`: version, Node, protocol, schema, checkpoint format), the schema version of
 * the store, and what the migration did (`store schema migrated` from 3 to the latest, naming each
 * migration, the refusal indexes of schemas 6 and 7 among them); `worldtick_build_info` says the
 * same on /metrics. A second start migrates nothing.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION } from '../../../src/store/migrations.js';
import { WORLD_SNAPSHOT_SCHEMA } from '../../../src/persist/world-snapshot.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { startInstance, type TestInstance } from '../../helpers/cluster-instances.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { downgradeToSchema3 } from '../../helpers/schema3-store.js';

describe('upgrade: an older store opened by this build', () => {
  const data = tempDataDir('wt-upgrade-');
  const servers: TestInstance[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    data.remove();
  }, 30_000);

  it('logs the build and the migration, and exports worldtick_build_info', async () => {
    // A schema-3 store: what the release before player data (migration 4) left on disk — the tables
    // of migration 4 and every later one dropped.
    await new SqliteStore({ dataDir: data.dir }).close();
    downgradeToSchema3(join(data.dir, 'worldtick.sqlite'));

    const args = ['--data-dir', data.dir, '--npcs', '50', '--stats-interval', '0'];
    const a = await startInstance('up', args);
    servers.push(a);
    const starting = a.lines.find((l) => l.msg === 'worldtick starting');
    expect(starting).toMatchObject({
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      node: process.version,
      schema: String(LATEST_SCHEMA_VERSION),
      checkpointSchema: String(WORLD_SNAPSHOT_SCHEMA),
      pid: a.child.pid,
    });
    expect(a.lines.find((l) => l.msg === 'store opened')).toMatchObject({ store: 'sqlite', schemaVersion: LATEST_SCHEMA_VERSION });
    const migrated = a.lines.find((l) => l.msg === 'store schema migrated');
    expect(migrated).toMatchObject({ from: 3, to: LATEST_SCHEMA_VERSION });
    const applied = (migrated?.applied as string[] | undefined) ?? [];
    expect(applied).toHaveLength(LATEST_SCHEMA_VERSION - 3);
    expect(String(applied[0])).toMatch(/^4: player data/);
    expect(String(applied[3])).toMatch(/^7: recorded ledger refusals by player/);
    const metrics = (await a.api('GET', '/metrics')).json as string;
    expect(metrics).toMatch(
      new RegExp(
        `^worldtick_build_info\\{version="${String(starting?.version)}",node="${process.version}",protocol="\\d+",schema="${LATEST_SCHEMA_VERSION}",checkpoint_format="\\d+",checkpoint_schema="${WORLD_SNAPSHOT_SCHEMA}"\\} 1$`,
        'm',
      ),
    );
    await a.stop();
    // The refusal indexes dropped above exist again (schema 6 retention, schema 7 the budget's reading).
    const after = new Database(join(data.dir, 'worldtick.sqlite'), { readonly: true });
    const indexes = after
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ledger_refusals_%' ORDER BY name")
      .all();
    after.close();
    expect(indexes).toEqual([{ name: 'ledger_refusals_created' }, { name: 'ledger_refusals_player' }]);

    const b = await startInstance('up2', args);
    servers.push(b);
    expect(b.lines.find((l) => l.msg === 'store opened')).toMatchObject({ schemaVersion: LATEST_SCHEMA_VERSION });
    expect(b.lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('store schema'))).toBe(false);
  }, 60_000);
});
