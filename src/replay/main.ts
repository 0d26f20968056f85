/**
 * `npm run replay -- <log> [--quiet] [--game <module>[#export]]`: replay an input log recorded with `--record <file>` from
 * its seed — or from its starting checkpoint (the file next to the log that its header names, hash
 * checked) — and print every state-hash check (match / MISMATCH). Exit code 0 when every recorded
 * hash matched, 1 on the first mismatch or divergence, 2 on a bad log, a missing or altered
 * starting checkpoint, or usage. A game world's log (its recipe names the game) needs the game's
 * definition: `--game examples/arena/game.ts#arena` (load-game.ts) — except the life-sim game, the
 * default world of `npm start`, whose definition is used when `--game` is not given.
 */
import { lifeSimGame } from '../../examples/life-sim/game.js';
import { isWorldtickError } from '../errors.js';
import type { GameDefinition } from '../game/definition.js';
import { loadGame } from './load-game.js';
import { readLog, type ReadLog } from './log-format.js';
import { replayLog, type ReplayResult } from './replayer.js';

const main = async (argv: readonly string[]): Promise<number> => {
  const quiet = argv.includes('--quiet');
  const gi = argv.indexOf('--game');
  const gameSpec = gi >= 0 ? argv[gi + 1] : undefined;
  const files = argv.filter((a, i) => !a.startsWith('--') && !(gi >= 0 && i === gi + 1));
  if (files.length !== 1 || (gi >= 0 && (gameSpec === undefined || gameSpec.startsWith('--')))) {
    process.stderr.write('usage: npm run replay -- <log> [--quiet] [--game <module>[#export]]\n');
    return 2;
  }
  let game: GameDefinition | undefined;
  try {
    if (gameSpec !== undefined) game = await loadGame(gameSpec);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
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
  // `npm start` records its default world as a world of the life-sim game: replay it with that game unless told otherwise.
  if (game === undefined && r.game === lifeSimGame.name) game = lifeSimGame;
  const st = log.header.start;
  const from = st
    ? `from checkpoint ${st.file} (step ${st.step}, ${st.reason}, sha256 ${st.sha256.slice(0, 12)}…)`
    : `from seed ${r.seed}, ${r.npcs} NPCs`;
  const of = r.game ? ` of game ${r.game}` : '';
  process.stdout.write(
    `replaying ${files[0]}: world ${r.id}${of}, ${from}, physics ${r.physics ? 'on' : 'off'}, ${log.steps.length} steps, hash every ${log.header.hashEvery}${log.truncated ? ' (log truncated: replaying the complete frames)' : ''}\n`,
  );
  let res: ReplayResult;
  try {
    res = await replayLog(
      log,
      (c) => {
        if (!quiet || !c.ok) process.stdout.write(`step ${c.step} hash ${c.got} ${c.ok ? 'match' : `MISMATCH (recorded ${c.want})`}\n`);
      },
      game ? { game } : {},
    );
  } catch (err) {
    // The starting checkpoint is missing, altered or unreadable, or the game is not the log's: nothing was replayed.
    if (!isWorldtickError(err)) throw err;
    process.stderr.write(`${err.code}: ${err.message}\n`);
    return 2;
  }
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
