import { Blocks, type ViewBlockBuilder } from 'slack-block-builder';
import { reasonWords } from '../coverage/reason-words.ts';
import { type RootCause, withoutRootCauseUnits } from '../coverage/root-causes.ts';
import type { CoverageReport, MissingPrompt } from '../coverage/types.ts';
import { providerDisplayName } from '../provider-names.ts';
import { count, inlineText, packLines, plural, truncate } from './format.ts';

/** Missing prompts grouped per org, worst first, and the blocks that show the first few. */

export interface OrgMissing {
  orgId: string;
  name: string;
  /** Prompts no provider answered. */
  uncovered: number;
  /** Prompts some but not all entitled providers answered. */
  partial: number;
  /** "provider: reason in words" -> missing units, largest first. */
  causes: [string, number][];
}

export function missingByOrg(report: CoverageReport): OrgMissing[] {
  const byOrg = new Map<string, OrgMissing & { causeCounts: Map<string, number> }>();
  for (const prompt of report.incompletePrompts) {
    let org = byOrg.get(prompt.org_id);
    if (!org) {
      org = {
        orgId: prompt.org_id,
        name: prompt.org_name,
        uncovered: 0,
        partial: 0,
        causes: [],
        causeCounts: new Map(),
      };
      byOrg.set(prompt.org_id, org);
    }
    if (prompt.uncovered) org.uncovered += 1;
    else org.partial += 1;
    for (const m of prompt.missingProviders) {
      const key = `${m.provider} ${reasonWords(m.reason)}`;
      org.causeCounts.set(key, (org.causeCounts.get(key) ?? 0) + 1);
    }
  }
  return [...byOrg.values()]
    .map(({ causeCounts, ...org }) => ({
      ...org,
      causes: [...causeCounts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    }))
    .sort(
      (a, b) =>
        b.uncovered + b.partial - (a.uncovered + a.partial) ||
        b.uncovered - a.uncovered ||
        a.name.localeCompare(b.name) ||
        a.orgId.localeCompare(b.orgId),
    );
}

const MAX_CAUSES = 3;
const INLINE_PREVIEW_CHARS = 100;
/** A night with this few incomplete prompts lists them in messages, under their orgs. */
export const SMALL_NIGHT_PROMPTS = 15;

/** Prompts of an org that are not fully covered: the number the org line and the Rerun menu share. */
export const incompleteCount = (org: OrgMissing) => org.uncovered + org.partial;

/**
 * "• *Acme*: 15 prompts not fully covered (12 with no answer, 3 partly covered) · perplexity rate
 * limited 10, openai timed out 2": the same number and words as the Rerun menu's "(15 not fully covered)".
 */
export function orgLine(org: OrgMissing): string {
  const split = [
    org.uncovered > 0 ? `${count(org.uncovered)} with no answer` : '',
    org.partial > 0 ? `${count(org.partial)} partly covered` : '',
  ].filter(Boolean);
  const causes = org.causes.slice(0, MAX_CAUSES).map(([cause, n]) => `${cause} ${count(n)}`);
  if (org.causes.length > MAX_CAUSES) causes.push('…');
  return `• *${inlineText(org.name, 200)}*: ${plural(incompleteCount(org), 'prompt')} not fully covered (${split.join(', ')}) · ${causes.join(', ')}`;
}

export interface MissingOrgBlocks {
  blocks: ViewBlockBuilder[];
  /** Orgs left out: the view must then offer the full list ("Show all"). */
  hidden: number;
}

/** "◦ What is the best… — perplexity: rate limited" (a prompt under its org line). */
export function promptLine(prompt: MissingPrompt, previewChars: number): string {
  const marker = prompt.uncovered ? '❌' : '◐';
  const providers = prompt.missingProviders.map((m) => `${m.provider}: ${reasonWords(m.reason)}`).join(', ');
  return `${marker} ${inlineText(prompt.text, previewChars)} — ${providers}`;
}

export interface MissingOrgOptions {
  maxOrgs: number;
  /** A night with at most this many incomplete prompts lists them under their orgs. */
  inlinePrompts?: number;
  /**
   * Provider-wide root causes shown above the list (root-cause-lines.ts): their units are left
   * out of it, and the title says how many are under each line instead.
   */
  rootCauses?: readonly RootCause[];
  /** An element beside each org line (the report's Snooze menu): each org gets its own section. */
  orgAccessory?: (
    org: OrgMissing,
    index: number,
  ) => Parameters<ReturnType<typeof Blocks.Section>['accessory']>[0];
}

/** "42 more units under Perplexity above" (and "…, 20 under OpenAI"): where the list's other misses are. */
export function setAsideText(causes: readonly RootCause[]): string {
  return causes
    .map(
      (c, i) =>
        `${count(c.failures)}${i === 0 ? ` more ${c.failures === 1 ? 'unit' : 'units'}` : ''} under ${providerDisplayName(c.provider)}`,
    )
    .join(', ')
    .concat(' above');
}

/**
 * The title, the first `maxOrgs` org lines (with their prompts on a small night) and, when some
 * orgs are left out, a "+N more" line. Nothing missing gives no blocks; with root causes, a night
 * whose every miss is under them gives one line that says so.
 */
export function missingOrgBlocks(full: CoverageReport, options: MissingOrgOptions): MissingOrgBlocks {
  const causes = options.rootCauses ?? [];
  const report = withoutRootCauseUnits(full, causes);
  const orgs = missingByOrg(report);
  if (orgs.length === 0) {
    if (causes.length === 0 || full.incompletePrompts.length === 0) return { blocks: [], hidden: 0 };
    const units = causes.reduce((sum, c) => sum + c.failures, 0);
    const names = causes.map((c) => providerDisplayName(c.provider)).join(' and ');
    const line = `No org has a miss of its own: all ${plural(units, 'missing unit')} are under ${names} above.`;
    return { blocks: [Blocks.Context().elements(line)], hidden: 0 };
  }
  const shown = orgs.slice(0, options.maxOrgs);
  const hidden = orgs.length - shown.length;
  const inline = report.incompletePrompts.length <= (options.inlinePrompts ?? 0);
  const setAside = causes.length > 0 ? ` · ${setAsideText(causes)}` : '';
  const title = `*Missing prompts by org*, worst first: ${plural(report.incompletePrompts.length, 'prompt')} not fully covered in ${plural(orgs.length, 'org')}${setAside}`;
  const orgLines = shown.map((org) => {
    const lines = [orgLine(org)];
    if (inline) {
      for (const prompt of report.incompletePrompts) {
        if (prompt.org_id === org.orgId) lines.push(`      ${promptLine(prompt, INLINE_PREVIEW_CHARS)}`);
      }
    }
    return lines;
  });
  const { orgAccessory } = options;
  const blocks: MissingOrgBlocks['blocks'] = orgAccessory
    ? [
        Blocks.Section({ text: title }),
        ...orgLines.map((lines, index) =>
          Blocks.Section({ text: truncate(lines.join('\n'), 3000) }).accessory(
            orgAccessory(shown[index] as OrgMissing, index),
          ),
        ),
      ]
    : packLines([title, ...orgLines.flat()]).map((text) => Blocks.Section({ text }));
  if (hidden > 0) {
    const hiddenPrompts = orgs.slice(options.maxOrgs).reduce((sum, o) => sum + incompleteCount(o), 0);
    blocks.push(
      Blocks.Context().elements(
        `+${count(hidden)} more ${hidden === 1 ? 'org' : 'orgs'} (${plural(hiddenPrompts, 'prompt')}): *Show all* lists every prompt.`,
      ),
    );
  }
  return { blocks, hidden };
}
