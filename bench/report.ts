/**
 * What the bench prints: one figure per line, with the product's number, the reference's, their
 * ratio and the goal it is read against. A figure never fails the run: a missed goal is a line
 * that says "missed", the exit code only says whether every scenario could run.
 */

export interface Figure {
  scenario: string;
  backend: 'postgres' | 'pglite' | '-';
  /** What exactly was measured: size, concurrency, processes. */
  case: string;
  /** sched-bot's figure, formatted, and its raw number (ms, per second, count). */
  product: string;
  productValue?: number;
  /** The reference's figure ('' when the scenario has none). */
  reference?: string;
  referenceValue?: number;
  /** What the ratio divides, e.g. "sched-bot / bare insert". */
  ratioMeaning?: string;
  ratio?: number;
  goal?: string;
  met?: boolean;
  /** Samples, spread, anything needed to read the figure. */
  note?: string;
  /** Other numbers a tool may want (429s, p50 / p99 ...), JSON only. */
  extra?: Record<string, number>;
  /** Raw samples in the order they were taken (JSON only). */
  samples?: { product?: number[]; reference?: number[] };
}

export interface RunInfo {
  startedAt: string;
  mode: 'full' | 'quick';
  /** --scale: every size times this. */
  scale: number;
  machine: string;
  versions: Record<string, string>;
  loadBefore: string;
  loadAfter?: string;
  totalSeconds?: number;
  failures: { scenario: string; error: string }[];
}

const COLUMNS: { title: string; width: number; cell: (f: Figure) => string }[] = [
  { title: 'scenario', width: 16, cell: (f) => f.scenario },
  { title: 'backend', width: 8, cell: (f) => f.backend },
  { title: 'case', width: 46, cell: (f) => f.case },
  { title: 'sched-bot', width: 12, cell: (f) => f.product },
  { title: 'reference', width: 30, cell: (f) => f.reference ?? '-' },
  { title: 'ratio', width: 7, cell: (f) => (f.ratio === undefined ? '-' : `${f.ratio.toFixed(2)}x`) },
  { title: 'goal', width: 18, cell: goalCell },
  { title: 'note', width: 0, cell: (f) => f.note ?? '' },
];

function goalCell(f: Figure): string {
  if (!f.goal) return '-';
  if (f.met === undefined) return f.goal;
  return `${f.goal}: ${f.met ? 'met' : 'missed'}`;
}

const line = (cells: string[]) =>
  cells
    .map((cell, i) => cell.padEnd(COLUMNS[i]?.width ?? 0))
    .join('  ')
    .trimEnd();

export function terminalHeader(): string {
  return `${line(COLUMNS.map((c) => c.title))}\n${line(COLUMNS.map((c) => '-'.repeat(Math.max(4, c.width))))}`;
}

/** One aligned line, printed as soon as the figure is known so a slow scenario shows at once. */
export function terminalRow(figure: Figure): string {
  return line(COLUMNS.map((c) => c.cell(figure)));
}

const escapeCell = (text: string) => text.replaceAll('|', '\\|');

/** The results section of BENCHMARKS.md: paste the output of `npm run bench -- --markdown` over it. */
export function markdown(figures: readonly Figure[], info: RunInfo): string {
  const head = [
    `Run of ${info.startedAt} (${info.mode}${info.scale === 1 ? '' : `, every size x${info.scale}`}` +
      `${info.totalSeconds ? `, ${Math.round(info.totalSeconds / 60)} min` : ''}).`,
    '',
    `- machine: ${info.machine}`,
    `- versions: ${Object.entries(info.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `- load average before / after: ${info.loadBefore} / ${info.loadAfter ?? '?'}`,
    ...(info.failures.length > 0
      ? [
          `- scenarios that could not run: ${info.failures.map((f) => `${f.scenario} (${f.error})`).join('; ')}`,
        ]
      : []),
    '',
    '| scenario | backend | case | sched-bot | reference | ratio | goal | note |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const rows = figures.map(
    (f) =>
      `| ${COLUMNS.map((c) => escapeCell(c.cell(f)))
        .map((cell) => cell || '-')
        .join(' | ')} |`,
  );
  const meanings = [...new Set(figures.filter((f) => f.ratioMeaning).map((f) => f.ratioMeaning))];
  const legend = meanings.length > 0 ? ['', 'Ratios in this run:', '', ...meanings.map((m) => `- ${m}`)] : [];
  return [...head, ...rows, ...legend, ''].join('\n');
}

export const RESULTS_START =
  '<!-- bench:results (npm run bench -- --write BENCHMARKS.md replaces this section) -->';
export const RESULTS_END = '<!-- /bench:results -->';

/** `text` with the section between the results markers replaced by `results`. */
export function replaceResults(text: string, results: string): string {
  const start = text.indexOf(RESULTS_START);
  const end = text.indexOf(RESULTS_END);
  if (start < 0 || end < start) throw new Error(`no ${RESULTS_START} ... ${RESULTS_END} section to replace`);
  return `${text.slice(0, start + RESULTS_START.length)}\n\n${results}\n${text.slice(end)}`;
}
