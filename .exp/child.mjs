import net from 'node:net';
import pg from 'pg';
const url = process.argv[2];
const c = new pg.Client({ connectionString: url, application_name: 'exp-writer', idle_in_transaction_session_timeout: 500 });
await c.connect();
await c.query('BEGIN');
await c.query(`INSERT INTO fences (world_id, token) VALUES ('w', 1) ON CONFLICT (world_id) DO UPDATE SET token = GREATEST(fences.token, EXCLUDED.token)`);
const orig = net.Socket.prototype.write;
net.Socket.prototype.write = function (chunk, ...rest) {
  if (!Buffer.isBuffer(chunk) || chunk.length < 1_000_000) return orig.call(this, chunk, ...rest);
  // Half of the message goes out, then the process stops; the rest is sent once it resumes.
  const half = chunk.length >> 1;
  orig.call(this, chunk.subarray(0, half));
  const sock = this;
  const wait = () => { if (sock.writableLength > 0) return setImmediate(wait); process.stdout.write(`stopping: ${half} of ${chunk.length} sent\n`); process.kill(process.pid, 'SIGSTOP'); orig.call(sock, chunk.subarray(half), ...rest); };
  setImmediate(wait);
  return true;
};
const big = Buffer.alloc(24 * 1024 * 1024, 7);
c.on('error', (e) => console.log('client error', e.message));
c.query('INSERT INTO blobs (b) VALUES ($1)', [big]).then(() => console.log('inserted'), (e) => console.log('insert failed', e.message));
