/**
 * `npm run verify`: the ledger consistency check from the command line (docs/DURABILITY.md).
 *
 *   npm run verify -- --admin-url http://127.0.0.1:7701 --admin-token T
 *       asks a running server (GET /api/v1/ledger/verify): every balance and inventory recomputed
 *       from the ledger and compared with live wallets (and the last snapshot's when available).
 *   npm run verify -- --data-dir ./data      (or --store postgres://… / sqlite:<dir>)
 *       offline, on a stopped server's store: recomputes every player's balance from the ledger
 *       and checks that no coin balance ever went negative and that the store's per-player ledger
 *       summaries equal the recomputed sums (`summary:*` mismatches). A data directory without a store file
 *       is an error (a mistyped path must not verify as an empty, consistent ledger). The store is
 *       read, never created or migrated: an empty file, another program's database, a PostgreSQL
 *       database without worldtick's schema or a schema of another build is refused, nothing written.
 *
 * Prints a JSON report; exit 0 with 0 mismatches, 1 with mismatches, 2 on a usage or I/O error.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { shown } from '../core/shown.js';
import { ErrorCode, optionInvalid, WorldtickError } from '../errors.js';
import { compareSummary, type Mismatch } from '../ledger/verify.js';
import { openStore, resolveStoreTarget } from '../store/open-store.js';
import { SQLITE_FILE_NAME } from '../store/sqlite-store.js';
import { parseCliArgs } from './cli-parse.js';

/** Offline report over a store's whole ledger. */
export interface OfflineReport {
  players: number;
  entriesRead: number;
  mismatches: Mismatch[];
  ok: boolean;
  balances: Record<string, { coins: number; items: Record<string, number>; lastSeq: number }>;
}

/**
 * Recompute every balance from the ledger of a stopped server's store: the SQLite store in
 * `dataDir`, or `store` (`postgres://…`, `sqlite:<dir>`) when given. Throws when `dataDir` (or
 * `sqlite:<dir>`) holds no store file (`WT_ERR_STORE_FILE_MISSING`): opening it would create an empty store and report it ok.
 */
export const verifyOffline = async (dataDir: string, store = ''): Promise<OfflineReport> => {
  const target = resolveStoreTarget({ store, dataDir });
  if (target.kind === 'sqlite' && !existsSync(join(target.dataDir, SQLITE_FILE_NAME)))
    throw new WorldtickError(
      ErrorCode.STORE_FILE_MISSING,
      `no store in ${target.dataDir}: ${SQLITE_FILE_NAME} not found (give the data directory of the server)`,
    );
  return verifyStore(await openStore({ store, dataDir, readOnlySchema: true }));
};

const verifyStore = async (store: Awaited<ReturnType<typeof openStore>>): Promise<OfflineReport> => {
  try {
    const balances: OfflineReport['balances'] = {};
    const mismatches: Mismatch[] = [];
    const negative = new Set<string>();
    let after = 0,
      read = 0;
    for (;;) {
      const page = await store.readLedger({ afterSeq: after });
      for (const e of page) {
        read++;
        if (e.status !== 'ok') continue;
        const b = (balances[e.playerId] ??= { coins: 0, items: {}, lastSeq: 0 });
        b.coins += e.coinsDelta;
        if (e.item !== null && e.quantity) b.items[e.item] = (b.items[e.item] ?? 0) + e.quantity;
        b.lastSeq = e.seq;
        if (b.coins < 0 && !negative.has(e.playerId)) {
          negative.add(e.playerId);
          mismatches.push({ playerId: e.playerId, source: 'ledger', field: 'negative-coins', ledger: b.coins, held: e.seq });
        }
      }
      if (page.length < 10_000) break;
      after = page[page.length - 1].seq;
    }
    // The store's per-player summaries (what balance loads and catch-ups read) must agree with the recomputation.
    for (const [playerId, b] of Object.entries(balances)) compareSummary(playerId, b, await store.ledgerBalance(playerId), mismatches);
    return { players: Object.keys(balances).length, entriesRead: read, mismatches, ok: mismatches.length === 0, balances };
  } finally {
    await store.close();
  }
};

/** A failure with a code that is not one of ours (the server's answer, a system error): printed as `<code>: <message>`. */
class CodedFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The verify route of `adminUrl`, or WT_ERR_OPTION_INVALID: an http(s) URL, and a token a header can carry. Before
 * (stop 67), a path given as the URL printed Node's `ERR_INVALID_URL: Invalid URL`, naming neither flag nor value.
 */
const verifyUrl = (adminUrl: string, token: string): URL => {
  let url: URL | null = null;
  try {
    url = new URL('/api/v1/ledger/verify', adminUrl);
  } catch {}
  const problems: string[] = [];
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    problems.push(`--admin-url must be the server's admin API, an http:// or https:// URL (got ${shown(adminUrl)})`);
  if (!/^[\x20-\x7e]*$/.test(token)) problems.push('--admin-token must be printable ASCII (an admin token is)');
  if (problems.length > 0 || url === null) throw optionInvalid(problems);
  return url;
};

/**
 * `GET /api/v1/ledger/verify` of a running server. Throws with a code: the server's own
 * (`WT_ERR_ADMIN_UNAUTHORIZED`…) with the HTTP status, or `WT_ERR_VERIFY_ADMIN_FAILED` when the
 * URL cannot be reached (the system's reason, fetch's `cause`) or answers no verify report.
 */
const adminReport = async (adminUrl: string, token: string): Promise<{ ok: boolean; mismatches: unknown[] }> => {
  const url = verifyUrl(adminUrl, token);
  const failed = (why: string): WorldtickError => new WorldtickError(ErrorCode.VERIFY_ADMIN_FAILED, why);
  let r: Response;
  try {
    r = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  } catch (err) {
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, a closed socket…) is its cause.
    const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
    const message = typeof cause?.message === 'string' ? cause.message : err instanceof Error ? err.message : String(err);
    const code = typeof cause?.code === 'string' && !message.includes(cause.code) ? `${cause.code} ` : '';
    throw failed(`cannot reach the admin API at ${url.href}: ${code}${message}`);
  }
  const text = await r.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw failed(`${url.href} answered HTTP ${r.status} with a body that is not JSON: is it the server's --admin-port?`);
  }
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (r.status === 200 && typeof b.ok === 'boolean' && Array.isArray(b.mismatches)) return b as { ok: boolean; mismatches: unknown[] };
  if (typeof b.code === 'string' && typeof b.message === 'string')
    throw new CodedFailure(b.code, `${b.message} (HTTP ${r.status} from ${url.href})`);
  throw failed(`${url.href} answered HTTP ${r.status} without a verify report: is it the server's --admin-port?`);
};

/** Run the verify command on `argv` (node, script, ...flags); resolves with the exit code. */
export const runVerifyCli = async (argv: readonly string[]): Promise<number> => {
  const program = new Command('worldtick-verify')
    .description('recompute balances from the transaction ledger and compare them with live state')
    .option('--admin-url <url>', 'admin API of a running server (e.g. http://127.0.0.1:7701)')
    // No commander default: it would print the environment's token in --help.
    .option('--admin-token <token>', 'admin bearer token (default: WORLDTICK_ADMIN_TOKEN)')
    .option('--data-dir <dir>', 'offline: the data directory of a stopped server')
    .option('--store <url>', "offline: a stopped server's --store (postgres://… or sqlite:<dir>)");
  // --help exits 0; usage errors are printed with their code, as every other error of the tool.
  const parsed = parseCliArgs(program, argv, {
    tool: 'worldtick-verify',
    code: ErrorCode.OPTION_INVALID,
    err: (t) => process.stderr.write(t),
  });
  if (parsed !== null) return parsed;
  const o = program.opts<{ adminUrl?: string; adminToken?: string; dataDir?: string; store?: string }>();
  if ([o.adminUrl, o.dataDir, o.store].filter(Boolean).length !== 1) {
    process.stderr.write(`worldtick-verify: ${ErrorCode.OPTION_INVALID}: give exactly one of --admin-url, --data-dir or --store\n`);
    return 2;
  }
  try {
    let report: { ok: boolean; mismatches: unknown[] };
    if (o.adminUrl) report = await adminReport(o.adminUrl, o.adminToken ?? process.env.WORLDTICK_ADMIN_TOKEN ?? '');
    else {
      const full = await verifyOffline(o.dataDir ?? '', o.store ?? '');
      const { balances: _b, ...summary } = full;
      report = summary;
    }
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.ok ? 0 : 1;
  } catch (err) {
    // The code first, as restore and store-copy print it: a worldtick code, or PostgreSQL's SQLSTATE.
    const code = (err as { code?: unknown } | null)?.code;
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`worldtick-verify: ${typeof code === 'string' ? `${code}: ` : ''}${message}\n`);
    return 2;
  }
};
