import type { Deps } from '../context.ts';
import { findOrg, type Org } from '../orgs/find-org.ts';
import { isProviderName, PROVIDER_NAMES, type ProviderName } from '../providers/types.ts';
import { createSnooze, type SnoozeRow } from '../store/snoozes.ts';
import { parseInstant, parseSnoozeEnd } from '../time/snooze-end.ts';

/**
 * One way to snooze for every entry point (/sched-snooze, the report's Snooze menu, `sched
 * snooze add`): the scope is resolved (a provider name, an org through findOrg), the end read
 * (snooze-end.ts), and every refusal is one sentence the caller shows as it is.
 */

export interface SnoozeAsk {
  provider?: string | undefined;
  /** An org's name, slug or id. */
  org?: string | undefined;
  /** A duration, a clock time, an ISO time or `until-success`. */
  end: string;
  /** ISO start of a maintenance window; now when absent. */
  starts?: string | undefined;
  reason?: string | undefined;
  createdBy: string;
}

export type SnoozeOutcome = { ok: true; snooze: SnoozeRow } | { ok: false; sentence: string };

const refuse = (sentence: string): SnoozeOutcome => ({ ok: false, sentence });

export const MAX_REASON_LENGTH = 300;

export async function snoozeScope(
  deps: Pick<Deps, 'db'>,
  input: { provider?: string | undefined; org?: string | undefined },
): Promise<{ ok: true; provider: ProviderName | null; org: Org | null } | { ok: false; sentence: string }> {
  const providerText = input.provider?.trim().toLowerCase();
  const orgText = input.org?.trim();
  if (!providerText && !orgText) {
    return {
      ok: false,
      sentence: `Say what to snooze: a provider (${PROVIDER_NAMES.join(', ')}) or an org.`,
    };
  }
  if (providerText && !isProviderName(providerText)) {
    return {
      ok: false,
      sentence: `“${providerText.slice(0, 40)}” is not a provider; use one of ${PROVIDER_NAMES.join(', ')}.`,
    };
  }
  let org: Org | null = null;
  if (orgText) {
    const found = await findOrg(deps.db, orgText);
    if (found.kind === 'ambiguous') {
      const names = found.candidates.slice(0, 5).map((o) => o.slug);
      return {
        ok: false,
        sentence: `“${orgText.slice(0, 60)}” matches several orgs (${names.join(', ')}); give its slug.`,
      };
    }
    if (found.kind === 'none') {
      const near = found.closest.length > 0 ? ` Closest: ${found.closest.slice(0, 3).join(', ')}.` : '';
      return { ok: false, sentence: `No org is called “${orgText.slice(0, 60)}”.${near}` };
    }
    org = found.org;
  }
  return { ok: true, provider: providerText && isProviderName(providerText) ? providerText : null, org };
}

export async function snoozeFromAsk(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  ask: SnoozeAsk,
): Promise<SnoozeOutcome> {
  const scope = await snoozeScope(deps, ask);
  if (!scope.ok) return refuse(scope.sentence);
  const now = deps.clock();
  const zone = deps.config.timezone;
  let startsAt = now;
  if (ask.starts) {
    const parsed = parseInstant(ask.starts, zone);
    if (!parsed)
      return refuse(`“${ask.starts.slice(0, 40)}” is not an ISO time; give one such as 2026-03-09T02:00.`);
    if (parsed.getTime() > now.getTime()) startsAt = parsed;
  }
  const end = parseSnoozeEnd(ask.end, now, zone, startsAt);
  if (end.kind === 'invalid') return refuse(end.sentence);
  const reason = ask.reason?.trim() ? ask.reason.trim().slice(0, MAX_REASON_LENGTH) : null;
  const snooze = await createSnooze(deps.db, {
    provider: scope.provider,
    orgId: scope.org?.id ?? null,
    startsAt,
    endsAt: end.kind === 'at' ? end.endsAt : null,
    untilSuccess: end.kind === 'success',
    reason,
    createdBy: ask.createdBy,
  });
  return { ok: true, snooze };
}
