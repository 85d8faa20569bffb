/**
 * "no live worker can call anthropic, gemini": the words for enabled providers that no running
 * worker has a key (or a simulated profile) for. Their tasks wait; the fix is a worker with the key.
 */
export function noLiveWorkerLine(providers: readonly string[] | undefined): string | undefined {
  if (!providers || providers.length === 0) return undefined;
  return `no live worker can call ${providers.join(', ')}`;
}
