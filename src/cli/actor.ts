/** Who asked, for triggered_by: the operator's login on this machine, so history says who ran it. */
export function cliActor(env: Record<string, string | undefined>): string {
  const user = (env.SUDO_USER || env.USER || env.LOGNAME || 'unknown').slice(0, 64);
  return `cli:${user}`;
}
