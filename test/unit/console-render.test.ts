import { Blocks, Elements, Message, Modal, Bits as Parts } from 'slack-block-builder';
import { describe, expect, it } from 'vitest';
import { matchOption, viewStateValues } from '../../src/console/control-values.ts';
import type { SelectOption } from '../../src/console/controls.ts';
import type { WebApiCall } from '../../src/console/local-web-api.ts';
import { formatDateToken, mrkdwnToText } from '../../src/console/mrkdwn.ts';
import { renderMessage, renderView } from '../../src/console/render-blocks.ts';
import { controlHint } from '../../src/console/session.ts';
import { describeCall } from '../../src/console/slack-shapes.ts';

describe('mrkdwnToText', () => {
  it('resolves links, mentions, channels, groups and entities', () => {
    expect(
      mrkdwnToText(
        'See <https://example.com/run|the run> by <@U123> in <#C9|ops>, cc <!subteam^S1|@admins> <!here> &amp; 5 &lt; 7',
      ),
    ).toBe('See the run (https://example.com/run) by @U123 in #ops, cc @admins @here & 5 < 7');
  });

  it('keeps, strips or emboldens *bold* words but leaves other stars and underscores alone', () => {
    const text = '*Prompts* 94.6% · • *perplexity*: 41 rate_limited, 2*3 = 6, * not bold *';
    expect(mrkdwnToText(text)).toBe(text);
    expect(mrkdwnToText(text, { bold: 'strip' })).toBe(
      'Prompts 94.6% · • perplexity: 41 rate_limited, 2*3 = 6, * not bold *',
    );
    expect(mrkdwnToText('a *b c* d', { bold: 'ansi' })).toBe('a \u001b[1mb c\u001b[22m d');
  });

  it('shows a bare link as itself', () => {
    expect(mrkdwnToText('<https://example.com>')).toBe('https://example.com');
  });

  it('formats date tokens in the reader zone, not UTC', () => {
    // 2026-03-09T11:02:00Z is 07:02 in New York (daylight time since the 8th).
    const epoch = Date.parse('2026-03-09T11:02:00Z') / 1000;
    expect(
      mrkdwnToText(`started <!date^${epoch}^{date_short} at {time}|2026-03-09 11:02 UTC>`, {
        timeZone: 'America/New_York',
      }),
    ).toBe('started Mar 9, 2026 at 07:02 EDT');
    expect(formatDateToken(epoch, '{date_num}', { timeZone: 'UTC' })).toBe('03/09/2026');
  });
});

describe('renderMessage', () => {
  const message = Message({ text: 'Morning report 2026-03-09: NEEDS_ATTENTION' })
    .blocks(
      Blocks.Header({ text: 'Nightly run 2026-03-09: NEEDS ATTENTION' }),
      Blocks.Section({ text: '*Prompts* 94.6% (473/500) by <@U0ADMIN>' }).fields(
        '*Units*\n1,880/2,000',
        '*Orgs*\n25/26',
      ),
      Blocks.Divider(),
      Blocks.Context().elements('perplexity: 41 failed, 39 rate_limited, 2 timeout'),
      Blocks.Actions({ blockId: 'report_actions' }).elements(
        Elements.Button({ text: 'Repair', actionId: 'repair', value: '2026-03-09' })
          .danger()
          .confirm(
            Parts.ConfirmationDialog({
              title: 'Repair?',
              text: 'Enqueue 120 units',
              confirm: 'Repair',
              deny: 'Cancel',
            }),
          ),
        Elements.StaticSelect({ placeholder: 'Rerun org', actionId: 'rerun_org' }).options(
          Parts.Option({ text: 'Acme Labs', value: 'org-1' }),
          Parts.Option({ text: 'Birch Health', value: 'org-2' }),
        ),
        Elements.Button({ text: 'History', actionId: 'history', value: '7' }),
      ),
    )
    .buildToObject();

  it('renders header, sections, fields, context and numbered controls in order', () => {
    const { text, controls } = renderMessage(message, { firstNumber: 4 });
    expect(text).toBe(
      [
        'Nightly run 2026-03-09: NEEDS ATTENTION',
        '=======================================',
        '*Prompts* 94.6% (473/500) by @U0ADMIN',
        '  *Units* 1,880/2,000',
        '  *Orgs* 25/26',
        '----------------------------------------',
        '  perplexity: 41 failed, 39 rate_limited, 2 timeout',
        '[4] Repair (asks to confirm)   [5] ▾ Rerun org {1) Acme Labs  2) Birch Health}   [6] History',
      ].join('\n'),
    );
    expect(controls.map((c) => [c.n, c.kind, c.actionId, c.blockId])).toEqual([
      [4, 'button', 'repair', 'report_actions'],
      [5, 'select', 'rerun_org', 'report_actions'],
      [6, 'button', 'history', 'report_actions'],
    ]);
    const repair = controls[0];
    expect(repair?.kind === 'button' && repair.confirm).toEqual({
      title: 'Repair?',
      text: 'Enqueue 120 units',
      confirm: 'Repair',
      deny: 'Cancel',
    });
    const select = controls[1];
    expect(select?.kind === 'select' && select.options.map((o) => o.value)).toEqual(['org-1', 'org-2']);
  });

  it('puts a long choice list on lines below its block, at most twelve of them', () => {
    const options = Array.from({ length: 20 }, (_, i) => ({
      text: { type: 'plain_text', text: `Organization number ${i + 1}` },
      value: `org-${i + 1}`,
    }));
    const { text, controls } = renderMessage({
      blocks: [
        {
          type: 'actions',
          elements: [
            {
              type: 'static_select',
              action_id: 'pick_org',
              placeholder: { type: 'plain_text', text: 'Org' },
              options,
            },
            { type: 'button', action_id: 'go', text: { type: 'plain_text', text: 'Go' } },
          ],
        },
        { type: 'divider' },
      ],
    });
    const lines = text.split('\n');
    expect(lines[0]).toBe('[1] ▾ Org {20 choices below}   [2] Go');
    expect(lines[1]).toMatch(/^ {4}\[1\] 1\) Organization number 1 {2}2\) Organization number 2 {2}3\)/);
    expect(lines.slice(1, -2).join(' ')).toContain('12) Organization number 12');
    expect(lines.slice(1, -2).join(' ')).not.toContain('13) Organization');
    expect(lines.slice(1, -1).every((line) => line.length <= 100)).toBe(true);
    expect(lines.at(-2)).toBe('        +8 more: pick 1 <part of a name>');
    expect(lines.at(-1)).toBe('-'.repeat(40));
    const select = controls[0];
    expect(select?.kind === 'select' && select.options).toHaveLength(20);
  });

  it('falls back to the notification text when there are no blocks', () => {
    expect(renderMessage({ text: 'Repair started by <@U1>: 12 units' })).toEqual({
      text: 'Repair started by @U1: 12 units',
      controls: [],
    });
  });

  it('renders rich text lists, quotes and code, and names unknown blocks', () => {
    const { text } = renderMessage({
      blocks: [
        {
          type: 'rich_text',
          elements: [
            { type: 'rich_text_section', elements: [{ type: 'text', text: 'Missing:' }] },
            {
              type: 'rich_text_list',
              style: 'ordered',
              elements: [
                { type: 'rich_text_section', elements: [{ type: 'text', text: 'Acme' }] },
                {
                  type: 'rich_text_section',
                  elements: [{ type: 'link', url: 'https://x.test', text: 'Birch' }],
                },
              ],
            },
            {
              type: 'rich_text_list',
              style: 'bullet',
              indent: 1,
              elements: [{ type: 'rich_text_section', elements: [{ type: 'user', user_id: 'U7' }] }],
            },
            { type: 'rich_text_quote', elements: [{ type: 'text', text: 'quoted' }] },
            { type: 'rich_text_preformatted', elements: [{ type: 'text', text: 'sched status' }] },
          ],
        },
        { type: 'video', title: { type: 'plain_text', text: 'x' } },
      ],
    });
    expect(text.split('\n')).toEqual([
      'Missing:',
      '  1. Acme',
      '  2. Birch (https://x.test)',
      '    • @U7',
      '> quoted',
      '```',
      'sched status',
      '```',
      '[video block]',
    ]);
  });
});

describe('renderView', () => {
  it('numbers the inputs of a modal and names its submit and close buttons', () => {
    const view = Modal({ title: 'Rerun an org', submit: 'Rerun', close: 'Cancel', callbackId: 'rerun_modal' })
      .blocks(
        Blocks.Input({ label: 'Organization', blockId: 'org' }).element(
          Elements.ExternalSelect({ actionId: 'org_select', placeholder: 'Type a name', minQueryLength: 1 }),
        ),
        Blocks.Input({ label: 'Scope', blockId: 'scope' }).element(
          Elements.RadioButtons({ actionId: 'scope_choice' })
            .options(
              Parts.Option({ text: 'Missing only', value: 'missing' }),
              Parts.Option({ text: 'All prompts', value: 'all' }),
            )
            .initialOption(Parts.Option({ text: 'Missing only', value: 'missing' })),
        ),
        Blocks.Input({ label: 'Note', blockId: 'note' })
          .optional()
          .element(Elements.TextInput({ actionId: 'note_text', placeholder: 'why' })),
      )
      .buildToObject();
    const { text, controls } = renderView(view, { firstNumber: 10 });
    expect(text.split('\n')).toEqual([
      '+-- Rerun an org ----------------------------',
      '[10] Organization {type to search}',
      '[11] Scope: Missing only {1) Missing only  2) All prompts}',
      '[12] Note (optional): <why>',
      '+-- "submit" = Rerun   "close" = Cancel ----------',
    ]);
    expect(controls.map((c) => [c.n, c.kind, c.blockId, c.actionId])).toEqual([
      [10, 'select', 'org', 'org_select'],
      [11, 'select', 'scope', 'scope_choice'],
      [12, 'input', 'note', 'note_text'],
    ]);
    const org = controls[0];
    expect(org?.kind === 'select' && { external: org.external, inInput: org.inInput }).toEqual({
      external: true,
      inInput: true,
    });
    const scope = controls[1];
    expect(scope?.kind === 'select' && scope.initial).toEqual([{ text: 'Missing only', value: 'missing' }]);
    const note = controls[2];
    expect(note?.kind === 'input' && note.optional).toBe(true);
  });

  it('renders a Home tab without a submit button', () => {
    const { text } = renderView({
      type: 'home',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Tonight: *running*' } }],
    });
    expect(text.split('\n')).toEqual([
      '+-- App Home --------------------------------',
      'Tonight: *running*',
      '+------------',
    ]);
  });
});

describe('what the console sends for a control', () => {
  const orgs = [
    { text: 'Acme Analytics', value: 'org-1' },
    { text: 'Acme Logistics', value: 'org-2' },
    { text: 'Birch Health', value: 'org-3' },
  ];

  it('finds a choice by number, exact text or value, or a unique part of the name', () => {
    expect(matchOption(orgs, '3').match?.value).toBe('org-3');
    expect(matchOption(orgs, 'acme logistics').match?.value).toBe('org-2');
    expect(matchOption(orgs, 'org-1').match?.value).toBe('org-1');
    expect(matchOption(orgs, 'birch').match?.value).toBe('org-3');
    expect(matchOption(orgs, 'acme')).toEqual({ match: undefined, candidates: orgs.slice(0, 2) });
    expect(matchOption(orgs, 'zephyr')).toEqual({ match: undefined, candidates: [] });
  });

  it('builds the modal state Slack submits, and refuses to submit an empty required input', () => {
    const view = Modal({ title: 'Rerun', submit: 'Rerun', callbackId: 'rerun_modal' })
      .blocks(
        Blocks.Input({ label: 'Organization', blockId: 'org' }).element(
          Elements.ExternalSelect({ actionId: 'org_select' }),
        ),
        Blocks.Input({ label: 'Scope', blockId: 'scope' }).element(
          Elements.RadioButtons({ actionId: 'scope_choice' })
            .options(
              Parts.Option({ text: 'Missing only', value: 'missing' }),
              Parts.Option({ text: 'All', value: 'all' }),
            )
            .initialOption(Parts.Option({ text: 'Missing only', value: 'missing' })),
        ),
        Blocks.Input({ label: 'Note', blockId: 'note' })
          .optional()
          .element(Elements.TextInput({ actionId: 'note_text' })),
      )
      .buildToObject();
    const { controls } = renderView(view);
    expect(viewStateValues(controls, new Map()).missing).toEqual(['Organization']);

    const chosen = new Map<number, SelectOption[] | string>([[1, [orgs[2] as SelectOption]]]);
    const { values, missing } = viewStateValues(controls, chosen);
    expect(missing).toEqual([]);
    expect(values).toEqual({
      org: {
        org_select: {
          type: 'external_select',
          selected_option: {
            text: { type: 'plain_text', text: 'Birch Health', emoji: true },
            value: 'org-3',
          },
        },
      },
      scope: {
        scope_choice: {
          type: 'radio_buttons',
          selected_option: {
            text: { type: 'plain_text', text: 'Missing only', emoji: true },
            value: 'missing',
          },
        },
      },
      note: { note_text: { type: 'plain_text_input', value: null } },
    });
  });
});

describe('describeCall', () => {
  const call = (
    method: string,
    body: Record<string, unknown>,
    response: Record<string, unknown>,
  ): WebApiCall => ({
    seq: 7,
    method,
    body,
    response,
    at: new Date('2026-03-09T12:00:00Z'),
    status: 200,
  });

  it('names where a message went and keeps its channel and ts for later clicks', () => {
    expect(
      describeCall(
        call(
          'chat.update',
          { channel: 'C0REPORTS', text: 'x' },
          { ok: true, channel: 'C0REPORTS', ts: '1.2' },
        ),
        'C0REPORTS',
      ),
    ).toEqual({
      kind: 'message',
      title: 'sched-bot edited its message in #C0REPORTS (report channel)',
      message: { channel: 'C0REPORTS', text: 'x' },
      where: { channelId: 'C0REPORTS', ts: '1.2', ephemeral: false },
    });
    const reply = describeCall(
      { ...call('response_url', { text: 'y', replace_original: true }, { ok: true }), responseId: 'r3' },
      'C0REPORTS',
    );
    expect(reply).toMatchObject({
      title: 'sched-bot (only visible to you), replacing its answer',
      where: { ts: 'r-r3', ephemeral: true },
    });
  });

  it('reports a refused call and ignores the calls a reader never sees', () => {
    expect(describeCall(call('chat.update', {}, { ok: false, error: 'message_not_found' }), 'C0')).toEqual({
      kind: 'notice',
      text: '! Slack chat.update failed: message_not_found',
    });
    expect(describeCall(call('auth.test', {}, { ok: true }), 'C0')).toBeUndefined();
  });
});

describe('controlHint', () => {
  const modal = (view: Record<string, unknown>) => ({
    kind: 'view' as const,
    key: 'v',
    view: { type: 'modal', ...view },
  });
  it('offers submit only when the modal has a submit button', () => {
    const list = renderView(
      { type: 'modal', title: { type: 'plain_text', text: 'Missing' }, blocks: [] },
      {},
    );
    expect(controlHint(list.controls, modal({}))).toBe('\n  (type: close)');
    const form = modal({ submit: { type: 'plain_text', text: 'Rerun' } });
    expect(controlHint([], form)).toBe('\n  (type: submit | close)');
    expect(
      controlHint([], { kind: 'message', key: 'm', channelId: 'C1', ts: '1', ephemeral: false, message: {} }),
    ).toBe('');
  });
});
