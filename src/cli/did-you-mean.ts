/**
 * "Did you mean …?" for a mistyped option name (a flag, a `WORLDTICK_*` variable, a config-file key):
 * the closest known name by edit distance, when it is close enough to be the likely intent.
 */

/** Levenshtein distance of two short strings (case-insensitive). */
const distance = (a: string, b: string): number => {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[y.length];
};

/**
 * The known name closest to `name` if within max(2, a third of its length) edits (or `name` is a
 * prefix of it), formatted as ` (did you mean X?)` (`prefix` before X: `--` for a flag); else the
 * empty string.
 */
export const didYouMean = (name: string, known: Iterable<string>, prefix = ''): string => {
  let best = '';
  let bestD = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = k.toLowerCase().startsWith(name.toLowerCase()) && name.length >= 3 ? 1 : distance(name, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best && bestD <= Math.max(2, Math.floor(name.length / 3)) ? ` (did you mean ${prefix}${best}?)` : '';
};
