import { sql } from 'drizzle-orm';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS, COMMANDS, EVERY_PROVIDER } from '../../src/blocks/ids.ts';
import { encodeRepairModalMetadata } from '../../src/blocks/values.ts';
import {
  buildAppHomeOpened,
  buildBlockAction,
  buildCommand,
  buildViewSubmission,
  type SlackRequest,
} from '../../src/console/sign-request.ts';
import { queryOne, queryRows } from '../../src/db/client.ts';
import { bump, type Model, SimCommand, tonight } from './model.ts';
import { ADMIN, GROUP_ADMIN, OUTSIDER, REPORT_CHANNEL, type World } from './world.ts';

/**
 * People in Slack: every request is signed and POSTed to the running Bolt app. `replay` sends
 * the very same request twice (a retry, or a replay inside the 5-minute window); `outsider`
 * is someone who is not an admin (invariant 5: the tables must not change).
 */

/** Slack's window for a signed request (Bolt's signature check refuses older ones). */
const SLACK_SIGNATURE_WINDOW_MS = 5 * 60_000;

export const PEOPLE = { admin: ADMIN, groupAdmin: GROUP_ADMIN, outsider: OUTSIDER } as const;
export type Person = keyof typeof PEOPLE;

async function deliver(w: World, request: SlackRequest, replay: boolean, outsider = false): Promise<void> {
  w.lastRequest = { request, outsider, at: w.deps.clock() };
  await w.send(request);
  if (replay) await w.send(request);
}

/** The last request sent again, later: a replay inside Slack's five minutes, or a late retry. */
export class ReplayLast extends SimCommand {
  readonly name = 'replay';
  override byOutsider(w: World) {
    return w.lastRequest?.outsider ?? false;
  }
  async act(_m: Model, w: World) {
    const last = w.lastRequest;
    // Slack signs each delivery with its time and the app refuses a signature over five minutes
    // old; Bolt checks it on the real clock, which a virtual day does not move, so a copy sent
    // later than that in virtual time is one that could never arrive: the simulator does not send it.
    if (!last || w.deps.clock().getTime() - last.at.getTime() > SLACK_SIGNATURE_WINDOW_MS) return;
    await w.send(last.request);
  }
  toString() {
    return 'ReplayLast()';
  }
}

/** The night's report message, or for a stale click the oldest reported night's. */
async function reportOf(w: World, stale: boolean) {
  return queryOne<{ run_date: string; channel: string; ts: string }>(
    w.db,
    stale
      ? sql`select to_char(run_date, 'YYYY-MM-DD') as run_date, channel, ts from slack_reports
            where ts is not null order by run_date limit 1`
      : sql`select to_char(run_date, 'YYYY-MM-DD') as run_date, channel, ts from slack_reports
            where ts is not null and run_date = ${tonight(w)}::date limit 1`,
  );
}

abstract class PersonCommand extends SimCommand {
  constructor(
    readonly who: Person,
    readonly replay: boolean,
  ) {
    super();
  }
  override get outsider() {
    return this.who === 'outsider';
  }
  protected asked(m: Model, runDate: string) {
    if (this.who !== 'outsider') bump(m.requests, runDate);
  }
  protected args() {
    return `${this.who}${this.replay ? ', replayed' : ''}`;
  }
}

export class RepairClick extends PersonCommand {
  readonly name = 'repair';
  constructor(
    who: Person,
    replay: boolean,
    readonly stale: boolean,
  ) {
    super(who, replay);
  }
  async act(m: Model, w: World) {
    const report = await reportOf(w, this.stale);
    // No report of tonight yet: the Repair button under a /sched-status the person asked for
    // (an ephemeral message, nothing to edit).
    const runDate = report?.run_date ?? (this.stale ? undefined : tonight(w));
    if (!runDate) return;
    this.asked(m, runDate);
    const request = buildBlockAction({
      actionId: ACTION_IDS.repair,
      value: runDate,
      userId: PEOPLE[this.who],
      responseUrl: w.api.responseUrl(),
      container: report
        ? { channelId: report.channel, messageTs: report.ts }
        : { channelId: REPORT_CHANNEL, isEphemeral: true },
    });
    await deliver(w, request, this.replay, this.outsider);
  }
  toString() {
    return `RepairClick(${this.args()}${this.stale ? ', stale message' : ''})`;
  }
}

/**
 * Repair options: with `opened`, the person clicks "Repair options…" under the report first (the
 * real handler opens the modal with views.open and fills it) and submits the modal Slack shows,
 * picking among the choices it offers; a person refused the modal (a non-admin) cannot submit.
 * Without it, a submission arrives on its own (a forged or replayed one).
 */
export class RepairOptions extends PersonCommand {
  readonly name = 'repair-options';
  constructor(
    who: Person,
    replay: boolean,
    readonly scope: 'missing' | 'failed' | 'all',
    readonly provider?: string,
    readonly opened = false,
  ) {
    super(who, replay);
  }
  async act(m: Model, w: World) {
    const report = await reportOf(w, false);
    if (!report) return;
    const message = { channel: report.channel, ts: report.ts };
    let modal = {
      privateMetadata: encodeRepairModalMetadata({
        runDate: report.run_date,
        message,
        responseUrl: w.api.responseUrl(),
      }),
      viewId: undefined as string | undefined,
      scope: this.scope as string,
      provider: this.provider ?? EVERY_PROVIDER,
    };
    if (this.opened) {
      const shown = await openRepairModal(w, PEOPLE[this.who], report.run_date, message);
      if (!shown) return;
      modal = {
        privateMetadata: shown.privateMetadata,
        viewId: shown.viewId,
        scope: pick(shown.scopes, this.scope),
        provider: pick(shown.providers, this.provider ?? EVERY_PROVIDER),
      };
    }
    this.asked(m, report.run_date);
    const request = buildViewSubmission({
      callbackId: CALLBACK_IDS.repairModal,
      userId: PEOPLE[this.who],
      values: {
        [BLOCK_IDS.repairModalScope]: {
          [ACTION_IDS.repairModalScope]: { type: 'radio_buttons', selected_option: { value: modal.scope } },
        },
        [BLOCK_IDS.repairModalProvider]: {
          [ACTION_IDS.repairModalProvider]: {
            type: 'static_select',
            selected_option: { value: modal.provider },
          },
        },
      },
      privateMetadata: modal.privateMetadata,
      ...(modal.viewId ? { viewId: modal.viewId } : {}),
    });
    await deliver(w, request, this.replay, this.outsider);
  }
  toString() {
    return `RepairOptions(${this.args()}, ${this.scope}, ${this.provider ?? 'every provider'}${this.opened ? ', from the modal' : ''})`;
  }
}

/** The wanted choice when the modal offers it, else the first it offers. */
const pick = (offered: string[], wanted: string) =>
  offered.includes(wanted) ? wanted : (offered[0] ?? wanted);

/** The option values of a modal's input block (radio buttons or a static select). */
function optionsOf(view: Record<string, unknown>, blockId: string): string[] {
  const blocks = (view.blocks ?? []) as { block_id?: string; element?: { options?: { value: string }[] } }[];
  return (blocks.find((b) => b.block_id === blockId)?.element?.options ?? []).map((o) => o.value);
}

/**
 * Clicks "Repair options…" and returns the modal Slack shows once the handler filled it, or
 * undefined when it shows none to submit (a refusal, a night it will not repair, Slack failing).
 */
async function openRepairModal(
  w: World,
  userId: string,
  runDate: string,
  message: { channel: string; ts: string },
) {
  const before = w.api.calls.at(-1)?.seq ?? 0;
  const click = buildBlockAction({
    actionId: ACTION_IDS.repairOptions,
    value: runDate,
    userId,
    responseUrl: w.api.responseUrl(),
    container: { channelId: message.channel, messageTs: message.ts },
  });
  w.lastRequest = { request: click, outsider: userId === OUTSIDER, at: w.deps.clock() };
  await w.send(click);
  await w.settle();
  const filled = w.api.calls.filter((c) => c.seq > before && c.method === 'views.update' && c.response.ok);
  const view = w.api.views.get(String(filled.at(-1)?.body.view_id ?? ''));
  if (!view || view.callback_id !== CALLBACK_IDS.repairModal) return undefined;
  return {
    viewId: String(view.id),
    privateMetadata: String(view.private_metadata ?? ''),
    scopes: optionsOf(view, BLOCK_IDS.repairModalScope),
    providers: optionsOf(view, BLOCK_IDS.repairModalProvider),
  };
}

/** The org at this index (by slug), as a person would type it. */
export async function orgSlug(w: World, index: number): Promise<{ id: string; slug: string } | undefined> {
  const rows = await queryRows<{ id: string; slug: string }>(
    w.db,
    sql`select id, slug from organizations order by slug`,
  );
  return rows[index % Math.max(rows.length, 1)];
}

export class SlashRerun extends PersonCommand {
  readonly name = '/sched-rerun';
  constructor(
    who: Person,
    replay: boolean,
    readonly org: number,
  ) {
    super(who, replay);
  }
  async act(m: Model, w: World) {
    const org = await orgSlug(w, this.org);
    if (!org) return;
    this.asked(m, tonight(w));
    const request = buildCommand({
      command: COMMANDS.rerun,
      text: org.slug,
      userId: PEOPLE[this.who],
      responseUrl: w.api.responseUrl(),
    });
    await deliver(w, request, this.replay, this.outsider);
  }
  toString() {
    return `SlashRerun(${this.args()}, org #${this.org})`;
  }
}

export class SlashStatus extends PersonCommand {
  readonly name = '/sched-status';
  override get outsider() {
    return false;
  }
  async act(_m: Model, w: World) {
    const request = buildCommand({
      command: COMMANDS.status,
      userId: PEOPLE[this.who],
      channelId: REPORT_CHANNEL,
      responseUrl: w.api.responseUrl(),
    });
    await deliver(w, request, this.replay, this.outsider);
  }
  toString() {
    return `SlashStatus(${this.args()})`;
  }
}

/** "Share to channel" under a status shown in the report channel: anyone may press it. */
export class Share extends PersonCommand {
  readonly name = 'share';
  override get outsider() {
    return false;
  }
  async act(_m: Model, w: World) {
    const request = buildBlockAction({
      actionId: ACTION_IDS.shareStatus,
      value: tonight(w),
      userId: PEOPLE[this.who],
      responseUrl: w.api.responseUrl(),
      container: { channelId: REPORT_CHANNEL, isEphemeral: true },
    });
    await deliver(w, request, this.replay, this.outsider);
  }
  toString() {
    return `Share(${this.args()})`;
  }
}

export class AppHome extends PersonCommand {
  readonly name = 'app-home';
  override get outsider() {
    return false;
  }
  async act(_m: Model, w: World) {
    await deliver(w, buildAppHomeOpened(PEOPLE[this.who]), this.replay);
  }
  toString() {
    return `AppHome(${this.args()})`;
  }
}
