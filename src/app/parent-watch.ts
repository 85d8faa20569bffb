/**
 * npm passes SIGTERM and SIGINT on to its script's process only, which is why package.json's
 * scripts `exec` node (npm -> node rather than npm -> sh -> node, where the shell died of SIGTERM
 * and sat out SIGINT, leaving the bot running). Whatever else ends npm first (SIGKILL, an npm or
 * a script line that does not exec) leaves the bot under init, holding the port and the embedded
 * database: launched by an npm script, it watches its parent and stops as on SIGTERM once it has
 * been reparented. Started any other way (a service manager, `nohup`), outliving the parent is
 * what was asked for, so nothing is watched.
 */
export function stopWhenOrphaned(
  env: Record<string, string | undefined>,
  stop: () => void,
  intervalMs = 500,
): () => void {
  if (env.npm_lifecycle_event === undefined) return () => {};
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
