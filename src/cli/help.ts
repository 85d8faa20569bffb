import { closestWord } from '../orgs/edit-distance.ts';
import type { CommandEntry } from './command.ts';

/**
 * Pure: the text of `sched --help` (one line per command) and `sched help <command>` (its usage
 * and what it does), every line within 100 columns, and the "did you mean" of a mistyped name.
 */

export const HELP_WIDTH = 100;

/** Words of `text` in lines of at most `width` columns; lines after the first start with `indent`. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line === '' ? word : `${line} ${word}`;
    const prefix = lines.length === 0 ? '' : indent;
    if (line !== '' && prefix.length + candidate.length > width) {
      lines.push(prefix + line);
      line = word;
    } else {
      line = candidate;
    }
  }
  if (line !== '' || lines.length === 0) lines.push((lines.length === 0 ? '' : indent) + line);
  return lines;
}

const forms = (command: CommandEntry): readonly string[] =>
  typeof command.usage === 'string' ? [command.usage] : command.usage;

/** `usage: sched x ...`, one form a line, each wrapped under the first. */
export function usageLines(command: CommandEntry): string {
  const label = 'usage: ';
  const pad = ' '.repeat(label.length);
  return forms(command)
    .flatMap((form, i) =>
      wrap(form, HELP_WIDTH - label.length, '    ').map((line, j) =>
        i === 0 && j === 0 ? label + line : pad + line,
      ),
    )
    .join('\n');
}

export function commandList(commands: readonly CommandEntry[]): string {
  const width = Math.max(...commands.map((c) => `sched ${c.name}`.length));
  const indent = ' '.repeat(2 + width + 2);
  return [
    'usage: sched <command> [options]',
    '',
    ...commands.map((c) =>
      wrap(c.summary, HELP_WIDTH - indent.length, '')
        .map((line, i) => (i === 0 ? `  ${`sched ${c.name}`.padEnd(width)}  ${line}` : indent + line))
        .join('\n'),
    ),
    '',
    'sched help <command> (or sched <command> --help) shows its options.',
    '',
  ].join('\n');
}

export function commandHelp(command: CommandEntry): string {
  return `${usageLines(command)}\n\n${wrap(command.summary, HELP_WIDTH).join('\n')}\n`;
}

/** The line for a name that is no command: with the command it most likely meant. */
export function unknownCommand(name: string, commands: readonly CommandEntry[]): string {
  const guess = closestWord(
    name,
    commands.map((c) => c.name),
  );
  const hint = guess ? ` Did you mean "sched ${guess}"?` : '';
  return `sched: unknown command "${name}".${hint} "sched --help" lists the commands.\n`;
}
