export type Row = [string, string, string, string];

const WIDTHS = [9, 38, 14];

/** One aligned line per figure, printed as soon as it is measured so a slow step shows at once. */
export function printRow(row: Readonly<Row>): void {
  console.log(
    row
      .map((cell, i) => cell.padEnd(WIDTHS[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

export function printHeader(): void {
  printRow(['backend', 'measure', 'figure', 'detail']);
  printRow(['-'.repeat(WIDTHS[0] ?? 0), '-'.repeat(WIDTHS[1] ?? 0), '-'.repeat(WIDTHS[2] ?? 0), '------']);
}
