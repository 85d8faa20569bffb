import { userInfo } from 'node:os';

/**
 * Who asked, for triggered_by: the operator's login on this machine, so history says who ran it.
 * With no login variable set (a container, cron) the account the process runs as, from the
 * system's user database; an account missing there is named by its uid.
 */
export function cliActor(env: Record<string, string | undefined>): string {
  const user = (env.SUDO_USER || env.USER || env.LOGNAME || systemUser()).slice(0, 64);
  return `cli:${user}`;
}

function systemUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? 'unknown'}`;
  }
}
