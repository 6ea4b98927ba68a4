/** How the CLI prints: JSON for scripts, aligned tables for people, colour only where it helps. */
export interface Output {
  json: boolean;
  colour: boolean;
  /** stdout is a terminal (progress lines may be rewritten in place). */
  tty: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
}

export function createOutput(json: boolean): Output {
  const tty = process.stdout.isTTY;
  const noColour = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  return {
    json,
    tty,
    colour: tty && !noColour,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  };
}

const codes = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;

export function paint(output: Output, colour: keyof typeof codes, text: string): string {
  return output.colour ? `\u001b[${codes[colour]}m${text}\u001b[0m` : text;
}

export function printJson(output: Output, value: unknown): void {
  output.out(`${JSON.stringify(value, null, 2)}\n`);
}

type Cell = string | number | boolean | null | undefined;

/** Rows as an aligned table under upper-case headings; an empty list says so. */
export function printTable(
  output: Output,
  columns: readonly string[],
  rows: readonly (readonly Cell[])[],
): void {
  if (rows.length === 0) {
    output.out('(none)\n');
    return;
  }
  const text = [columns.map((c) => c.toUpperCase()), ...rows.map((row) => row.map(cell))];
  const widths = columns.map((_, i) => Math.max(...text.map((row) => (row[i] ?? '').length)));
  for (const row of text) {
    output.out(
      `${row
        .map((value, i) => value.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd()}\n`,
    );
  }
}

/** One record as `key: value` lines. */
export function printRecord(output: Output, record: Readonly<Record<string, Cell>>): void {
  const width = Math.max(...Object.keys(record).map((key) => key.length));
  for (const [key, value] of Object.entries(record)) {
    output.out(`${`${key}:`.padEnd(width + 1)} ${cell(value)}\n`);
  }
}

function cell(value: Cell): string {
  if (value === null || value === undefined) return '-';
  return String(value);
}

/** Prints `value` as JSON with --json, else as people read it. */
export function show<T>(output: Output, value: T, human: (value: T) => void): void {
  if (output.json) printJson(output, value);
  else human(value);
}
