/**
 * `npm run replay -- <log> [--quiet] [--game <module>[#export]]` (replay-args.ts; `--help`): replay an input log recorded with `--record <file>` from
 * its seed — or from its starting checkpoint (the file next to the log that its header names, hash
 * checked) — and print every state-hash check (match / MISMATCH). Exit code 0 when every recorded
 * hash matched, 1 on the first mismatch or divergence, 2 on a bad log, a missing or altered
 * starting checkpoint, or usage; errors are `worldtick-replay: <code>: <message>` on stderr. A game world's log (its recipe names the game) needs the game's
 * definition: `--game examples/arena/game.ts#arena` (load-game.ts) — except the life-sim game, the
 * default world of `npm start`, whose definition is used when `--game` is not given.
 */
import { lifeSimGame } from '../../examples/life-sim/game.js';
import { isWorldtickError } from '../errors.js';
import type { GameDefinition } from '../game/definition.js';
import { loadGame } from './load-game.js';
import { readLog, type ReadLog } from './log-format.js';
import { parseReplayArgs, REPLAY_TOOL } from './replay-args.js';
import { replayLog, type ReplayResult } from './replayer.js';

/** `worldtick-replay: <code>: <message>`, as the operator tools print their errors. */
const fail = (err: unknown): number => {
  const code = isWorldtickError(err) ? `${err.code}: ` : '';
  process.stderr.write(`${REPLAY_TOOL}: ${code}${err instanceof Error ? err.message : String(err)}\n`);
  return 2;
};

const main = async (argv: readonly string[]): Promise<number> => {
  const args = parseReplayArgs(argv, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
  if (typeof args === 'number') return args;
  const { quiet } = args;
  let game: GameDefinition | undefined;
  let log: ReadLog;
  try {
    if (args.game !== undefined) game = await loadGame(args.game);
    log = readLog(args.log);
  } catch (err) {
    return fail(err);
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
    `replaying ${args.log}: world ${r.id}${of}, ${from}, physics ${r.physics ? 'on' : 'off'}, ${log.steps.length} steps, hash every ${log.header.hashEvery}${log.truncated ? ' (log truncated: replaying the complete frames)' : ''}\n`,
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
    return fail(err);
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

main(process.argv).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
