import { withDeadline } from '../time/waits.ts';
import { matchOption, type SelectControl, selectState, viewStateValues } from './control-values.ts';
import { asObject, type Control, field, type Json, type SelectOption } from './controls.ts';
import { CONSOLE_CHANNEL, CONSOLE_USER, type LocalSlack } from './local-slack.ts';
import { type Rendered, renderMessage, renderView } from './render-blocks.ts';
import { type SharedFileNotice, SharedFileSaver } from './shared-files.ts';
import {
  buildAppHomeOpened,
  buildBlockAction,
  buildCommand,
  buildOptionsRequest,
  buildViewSubmission,
} from './sign-request.ts';
import {
  containerOf,
  describeCall,
  messageSource,
  type Source,
  suggestedOptions,
  viewSource,
} from './slack-shapes.ts';

/** How long a script waits for a slash command's answer before its next line. */
const REPLY_WAIT_MS = 15_000;

/**
 * The console's Slack client: sends what a user would do (a slash command, a click, a choice, a
 * modal submission) as signed requests to the running Bolt app, and prints every message and
 * view the app posts to the Web API stand-in, with its controls numbered for the next command.
 */

export interface SessionIo {
  print(text: string): void;
  ask(question: string): Promise<string>;
}

interface Modal {
  view: Json;
  controls: Control[];
  chosen: Map<number, SelectOption[] | string>;
}

export class ConsoleSession {
  private readonly controls = new Map<number, { control: Control; source: Source }>();
  /** Numbers of messages the bot has since edited: a late `click` gets told where to look. */
  private readonly retired = new Set<number>();
  private next = 1;
  private modal: Modal | undefined;
  private readonly files: SharedFileSaver;

  constructor(
    private readonly slack: LocalSlack,
    private readonly io: SessionIo,
    private readonly options: {
      timeZone: string;
      reportChannel: string;
      bold: 'strip' | 'ansi';
      /** Piped input: wait for a slash command's answer before the next line. */
      awaitReplies?: boolean;
    },
  ) {
    this.files = new SharedFileSaver(slack.api);
  }

  /** Starts printing what the app does; returns the unsubscribe function. */
  attach(): () => void {
    return this.slack.api.onCall((call) => {
      const shown = describeCall(call, this.options.reportChannel);
      if (shown?.kind === 'notice') this.io.print(shown.text);
      else if (shown?.kind === 'message') this.showMessage(shown.title, shown.message, shown.where);
      else if (shown?.kind === 'view') this.showView(shown.view, shown.as);
      else if (shown?.kind === 'file') this.showFiles(shown);
    });
  }

  async command(name: string, text: string): Promise<void> {
    const responseUrl = this.slack.api.responseUrl();
    const responseId = responseUrl.slice(responseUrl.lastIndexOf('/') + 1);
    // The app acks at once and answers later: a script (piped input) waits for that answer, or
    // the modal it opens, before its next line, so `/sched-snooze …` then `quit` shows the reply.
    let answered = () => {};
    const reply = new Promise<void>((resolve) => {
      answered = resolve;
    });
    const off = this.slack.api.onCall((call) => {
      if ((call.method === 'response_url' && call.responseId === responseId) || call.method === 'views.open')
        answered();
    });
    try {
      const request = buildCommand({
        command: name,
        text,
        userId: CONSOLE_USER,
        channelId: CONSOLE_CHANNEL,
        responseUrl,
      });
      const answer = await this.slack.send(request);
      this.showAck(answer.status, answer.json, answer.text);
      const acked = asObject(answer.json);
      const quietAck = answer.status === 200 && acked.text === undefined && acked.blocks === undefined;
      if (this.options.awaitReplies && quietAck) await withDeadline(reply, REPLY_WAIT_MS, () => undefined);
    } finally {
      off();
    }
  }

  async home(): Promise<void> {
    const answer = await this.slack.send(buildAppHomeOpened(CONSOLE_USER));
    this.showAck(answer.status, answer.json, answer.text);
  }

  async click(n: number): Promise<void> {
    const entry = this.entry(n);
    if (entry.control.kind !== 'button')
      throw new Error(`[${n}] is a menu or an input: use "pick ${n} <choice>" or "set ${n} <text>"`);
    const { control } = entry;
    if (control.url) {
      this.io.print(`[${n}] opens ${control.url} in a browser`);
      return;
    }
    if (control.confirm && !(await this.confirmed(control.confirm))) {
      this.io.print(`(${control.confirm.deny})`);
      return;
    }
    await this.sendAction(entry.source, control, { type: 'button', value: control.value });
  }

  async pick(n: number, choice: string): Promise<void> {
    const entry = this.entry(n);
    if (entry.control.kind !== 'select') throw new Error(`[${n}] is not a menu`);
    const control = entry.control;
    const options = control.external
      ? await this.loadOptions(control, entry.source, choice)
      : control.options;
    const { match, candidates } = matchOption(options, choice);
    if (!match) {
      this.io.print(
        candidates.length > 1
          ? `"${choice}" matches ${candidates.length}: ${candidates
              .slice(0, 10)
              .map((o) => o.text)
              .join(', ')}; type more of the name`
          : `no choice of [${n}] matches "${choice}"${
              options.length
                ? `; choices: ${options
                    .slice(0, 10)
                    .map((o) => o.text)
                    .join(', ')}`
                : ''
            }`,
      );
      return;
    }
    if (control.inInput && this.modal) {
      this.modal.chosen.set(n, [match]);
      this.io.print(`[${n}] ${control.label}: ${match.text}`);
      return;
    }
    if (control.confirm && !(await this.confirmed(control.confirm))) return;
    await this.sendAction(entry.source, control, selectState(control, [match]));
  }

  set(n: number, value: string): void {
    const entry = this.entry(n);
    if (entry.control.kind !== 'input' || !this.modal)
      throw new Error(`[${n}] is not a text input of the open modal`);
    this.modal.chosen.set(n, value);
    this.io.print(`[${n}] ${entry.control.label}: ${value}`);
  }

  async submit(): Promise<void> {
    const modal = this.modal;
    if (!modal) throw new Error('no modal is open');
    if (!modal.view.submit) throw new Error('this modal has no submit button: type "close"');
    const { values, missing } = viewStateValues(modal.controls, modal.chosen);
    if (missing.length) {
      this.io.print(`fill in ${missing.join(', ')} first`);
      return;
    }
    const answer = await this.slack.send(
      buildViewSubmission({
        callbackId: field(modal.view.callback_id),
        userId: CONSOLE_USER,
        values,
        privateMetadata: field(modal.view.private_metadata),
        viewId: field(modal.view.id),
      }),
    );
    const body = asObject(answer.json);
    if (answer.status !== 200) {
      this.io.print(`! the app answered ${answer.status} to the submission`);
    } else if (body.response_action === 'errors') {
      for (const [block, message] of Object.entries(asObject(body.errors)))
        this.io.print(`! ${block}: ${String(message)}`);
    } else if (body.response_action === 'update' || body.response_action === 'push') {
      this.showView(body.view, 'modal');
    } else {
      this.modal = undefined;
      this.io.print('(modal closed)');
    }
  }

  close(): void {
    if (!this.modal) throw new Error('no modal is open');
    this.modal = undefined;
    this.io.print('(modal closed)');
  }

  private entry(n: number) {
    const entry = this.controls.get(n);
    if (!entry && this.retired.has(n))
      throw new Error(`[${n}] was on a message the bot has since replaced: use its new numbers`);
    if (!entry) throw new Error(`no control [${n}] on screen`);
    return entry;
  }

  private async confirmed(confirm: { title: string; text: string; confirm: string; deny: string }) {
    const answer = await this.io.ask(`${confirm.title}\n${confirm.text}\n${confirm.confirm}? (y/n) `);
    return /^y(es)?$/i.test(answer.trim());
  }

  private async loadOptions(control: SelectControl, source: Source, query: string): Promise<SelectOption[]> {
    const view =
      source.kind === 'view'
        ? { id: field(source.view.id), callback_id: field(source.view.callback_id) }
        : undefined;
    const answer = await this.slack.send(
      buildOptionsRequest({
        actionId: control.actionId,
        blockId: control.blockId,
        value: query,
        userId: CONSOLE_USER,
        view,
      }),
    );
    return suggestedOptions(answer.json);
  }

  private async sendAction(source: Source, control: Control, action: Record<string, unknown>): Promise<void> {
    const answer = await this.slack.send(
      buildBlockAction({
        actionId: control.actionId,
        blockId: control.blockId,
        userId: CONSOLE_USER,
        responseUrl: this.slack.api.responseUrl(),
        container: containerOf(source),
        action,
      }),
    );
    this.showAck(answer.status, answer.json, answer.text);
  }

  /** Bolt's HTTP answer: an ack may carry a message (ack({ text })) or a failure. */
  private showAck(status: number, json: unknown, text: string): void {
    if (status !== 200) {
      this.io.print(`! the app answered HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`);
      return;
    }
    const body = asObject(json);
    if (body.text !== undefined || body.blocks !== undefined) {
      this.showMessage('sched-bot (only visible to you)', body, {
        channelId: CONSOLE_CHANNEL,
        ts: `ack-${this.next}`,
        ephemeral: true,
      });
    }
  }

  private showFiles(shown: SharedFileNotice): void {
    const channel = `#${shown.channelId}${shown.channelId === this.options.reportChannel ? ' (report channel)' : ''}`;
    const title = `sched-bot shared a file in ${channel}${shown.threadTs ? ", in its message's thread" : ''}`;
    this.io.print(
      `\n── ${title} ${'─'.repeat(Math.max(3, 60 - title.length))}\n${this.files.save(shown).join('\n')}`,
    );
  }

  private renderOptions() {
    return { timeZone: this.options.timeZone, bold: this.options.bold, firstNumber: this.next };
  }

  private showMessage(
    title: string,
    message: Json,
    where: { channelId: string; ts: string; ephemeral: boolean },
  ) {
    this.print(title, renderMessage(message, this.renderOptions()), messageSource(message, where));
  }

  private showView(raw: unknown, kind: 'modal' | 'home'): void {
    const view = asObject(raw);
    const rendered = renderView(view, this.renderOptions());
    const source = viewSource(view, kind);
    if (kind === 'modal') this.modal = { view, controls: rendered.controls, chosen: new Map() };
    this.print(kind === 'modal' ? 'sched-bot opened a modal' : 'App Home', rendered, source);
  }

  private print(title: string, rendered: Rendered, source: Source): void {
    // A message edited in place keeps one set of live numbers: the old ones are dropped.
    for (const [n, entry] of this.controls) {
      if (entry.source.key !== source.key) continue;
      this.controls.delete(n);
      this.retired.add(n);
    }
    for (const control of rendered.controls) this.controls.set(control.n, { control, source });
    this.next += rendered.controls.length;
    this.io.print(
      `\n── ${title} ${'─'.repeat(Math.max(3, 60 - title.length))}\n${rendered.text}${controlHint(rendered.controls, source)}`,
    );
  }
}

/** "(type: click 1 | submit | close)": only what this message or modal really offers. */
export function controlHint(controls: Control[], source: Source): string {
  const words = new Set<string>();
  for (const c of controls) {
    if (c.kind === 'button') words.add(`click ${c.n}`);
    else if (c.kind === 'select') words.add(`pick ${c.n} <choice>`);
    else words.add(`set ${c.n} <text>`);
  }
  if (source.kind === 'view' && source.view.type === 'modal') {
    // A modal without a submit button (a read-only list) can only be closed.
    words.add(source.view.submit ? 'submit | close' : 'close');
  }
  return words.size ? `\n  (type: ${[...words].slice(0, 4).join(' | ')}${words.size > 4 ? ' ...' : ''})` : '';
}
