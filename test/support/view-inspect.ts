/** Read-only helpers for view tests: find blocks, actions and the visible text of a built view. */

// biome-ignore lint/suspicious/noExplicitAny: tests walk Slack JSON of many shapes.
export type Json = Record<string, any>;
type View = { blocks?: unknown[] };

export const blocksOf = (view: View) => (view.blocks ?? []) as Json[];

/** Every interactive element: in actions blocks, as section accessories, and in inputs. */
export const actionsOf = (view: View): Json[] =>
  blocksOf(view)
    .flatMap((b) => [
      ...(b.elements ?? []),
      ...(b.accessory ? [b.accessory] : []),
      ...(b.element ? [b.element] : []),
    ])
    .filter((e: Json) => e.action_id);

export const action = (view: View, id: string) => actionsOf(view).find((e) => e.action_id === id);

/** The text a reader sees in sections, fields and context lines, in order. */
export const visibleText = (view: View) =>
  blocksOf(view)
    .map((b) =>
      [
        b.text?.text,
        ...(b.fields ?? []).map((f: Json) => f.text),
        ...(b.type === 'context' ? b.elements.map((e: Json) => e.text) : []),
      ]
        .filter(Boolean)
        .join('\n'),
    )
    .join('\n');
