/**
 * `npm run replay -- <log> [--quiet]`: replay an input log recorded with `--record <file>` from
 * its seed and print every state-hash check (match / MISMATCH). Exit code 0 when every recorded
 * hash matched, 1 on the first mismatch or divergence, 2 on a bad log or usage.
 */
import { readLog, type ReadLog } from './log-format.js';
import { replayLog } from './replayer.js';

const main = async (argv: readonly string[]): Promise<number> => {
  const quiet = argv.includes('--quiet');
  const files = argv.filter((a) => !a.startsWith('--'));
  if (files.length !== 1) {
    process.stderr.write('usage: npm run replay -- <log> [--quiet]\n');
    return 2;
  }
  let log: ReadLog;
  try {
    log = readLog(files[0]);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  const r = log.header.recipe;
  process.stdout.write(
    `replaying ${files[0]}: world ${r.id}, seed ${r.seed}, ${r.npcs} NPCs, physics ${r.physics ? 'on' : 'off'}, ${log.steps.length} steps, hash every ${log.header.hashEvery}${log.truncated ? ' (log truncated: replaying the complete frames)' : ''}\n`,
  );
  const res = await replayLog(log, (c) => {
    if (!quiet || !c.ok) process.stdout.write(`step ${c.step} hash ${c.got} ${c.ok ? 'match' : `MISMATCH (recorded ${c.want})`}\n`);
  });
  const matched = res.checks.filter((c) => c.ok).length;
  for (const f of res.faults) process.stdout.write(`system failed (replayed): ${f}\n`);
  if (res.failure) {
    process.stdout.write(`FAILED after ${res.steps} steps, ${matched} hashes matched: ${res.failure}\n`);
    return 1;
  }
  process.stdout.write(`OK: ${res.steps} steps replayed, ${matched}/${res.checks.length} hashes matched\n`);
  return 0;
};

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
