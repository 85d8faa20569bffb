/**
 * Pure: the Levenshtein distance between two strings (insertions, deletions, substitutions of
 * UTF-16 code units), in two rows of the classic table. Only ever run on the few dozen orgs the
 * trigram index proposes (find-org.ts), never on the whole table.
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const [long, short] = a.length >= b.length ? [a, b] : [b, a];
  let previous = Array.from({ length: short.length + 1 }, (_, j) => j);
  for (let i = 1; i <= long.length; i++) {
    const current = [i];
    for (let j = 1; j <= short.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (long[i - 1] === short[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[short.length] ?? 0;
}

/**
 * The candidate closest to a mistyped word, when it is close enough to be what was meant: at
 * most a third of the word's letters apart (two for "statsu"), and never a tie between two.
 */
export function closestWord(word: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  const ranked = candidates
    .map((candidate) => ({ candidate, distance: editDistance(word.toLowerCase(), candidate.toLowerCase()) }))
    .filter((c) => c.distance <= limit)
    .sort((a, b) => a.distance - b.distance);
  const [best, next] = ranked;
  if (!best || (next && next.distance === best.distance)) return undefined;
  return best.candidate;
}
