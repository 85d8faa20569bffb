/** Reading what the app sent to Slack, as a reader or a clicker meets it. */

/** Every string under `key`, at any depth of a message or view, in order. */
function collect(node: unknown, key: string, out: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const item of node) collect(item, key, out);
  } else if (node && typeof node === 'object') {
    for (const [k, value] of Object.entries(node)) {
      if (k === key && typeof value === 'string') out.push(value);
      else collect(value, key, out);
    }
  }
  return out;
}

/** All the text of a message or view (top-level text, sections, fields, context, labels), one per line. */
export const messageText = (message: unknown): string => collect(message, 'text').join('\n');

/** The action ids of the interactive elements in a message or view. */
export const actionIds = (message: unknown): string[] => collect(message, 'action_id');

/** The value of the element with this action_id, wherever it sits in the message. */
export function actionValue(message: unknown, actionId: string): string | undefined {
  if (!message || typeof message !== 'object') return undefined;
  const node = message as Record<string, unknown>;
  if (node.action_id === actionId && typeof node.value === 'string') return node.value;
  for (const child of Object.values(node)) {
    const found = actionValue(child, actionId);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Waits until `condition` holds, for work that follows a Slack call with no call of its own to
 * wait on (a row written after chat.postMessage). A wait, not a timed assertion: the bound is far.
 */
export async function until(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
