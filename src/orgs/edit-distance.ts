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
