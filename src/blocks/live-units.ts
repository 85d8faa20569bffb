import { reasonWords } from '../coverage/reason-words.ts';
import type { LiveUnit } from '../queue/live-units.ts';
import { inlineText } from './format.ts';

/** "◦ What is the best… — openai: still queued": one unit of a running night not answered yet. */
export function liveUnitLine(unit: LiveUnit, previewChars: number): string {
  const reason = unit.status === 'failed' ? (unit.errorClass ?? 'failed') : unit.status;
  return `◦ ${inlineText(unit.text, previewChars)} — ${unit.provider}: ${reasonWords(reason)}`;
}
