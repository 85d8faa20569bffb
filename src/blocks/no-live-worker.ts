/** A night retention pruned: its figures are as recorded, its details gone, no repair. */
export function prunedLine(prunedAt: string): string {
  return `Details removed by retention on ${prunedAt.slice(0, 10)}: figures as last recorded; no repair or rerun.`;
}

/**
 * "no live worker can call anthropic, gemini": the words for enabled providers that no running
 * worker has a key (or a simulated profile) for. Their tasks wait; the fix is a worker with the key.
 */
export function noLiveWorkerLine(providers: readonly string[] | undefined): string | undefined {
  if (!providers || providers.length === 0) return undefined;
  return `no live worker can call ${providers.join(', ')}`;
}
