import { spawn } from 'node:child_process';
import pg from 'pg';
import { startPostgres, type PgServer } from '../test/helpers/postgres-server.js';
const s = (await startPostgres()) as PgServer;
const admin = new pg.Client({ connectionString: s.url });
await admin.connect();
await admin.query('CREATE TABLE fences (world_id text primary key, token bigint)');
await admin.query('CREATE TABLE blobs (b bytea)');
await admin.query(`INSERT INTO fences VALUES ('w', 1)`);
const child = spawn(process.execPath, ['.exp/child.mjs', s.url], { stdio: ['ignore', 'inherit', 'inherit'] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
for (let i = 0; i < 100; i++) { await sleep(100); if (child.signalCode === null && (await admin.query(`select 1 from pg_stat_activity where application_name='exp-writer' and state<>'idle in transaction'`)).rows.length) break; }
await sleep(3000); console.log("child stopped?", child.signalCode, child.exitCode);
console.log((await admin.query(`select pid, state, wait_event_type, wait_event, left(query, 40) q, now()-state_change age from pg_stat_activity where application_name='exp-writer'`)).rows);
try { await admin.query('BEGIN'); await admin.query(`SET LOCAL lock_timeout='300ms'`); await admin.query(`UPDATE fences SET token=2 WHERE world_id='w'`); await admin.query('COMMIT'); console.log('update landed'); } catch (e) { console.log('update failed:', (e as Error).message); await admin.query('ROLLBACK'); }
console.log((await admin.query(`select f.xmax, l.pid from fences f left join pg_locks l on l.locktype='transactionid' and l.transactionid = f.xmax and l.granted where world_id='w'`)).rows);
child.kill('SIGCONT'); child.kill('SIGKILL');
await admin.end(); await s.destroy();
