import { summarize, type Summary } from './stats.js';

/** One measured series: a line of the table and an entry of the JSON file. */
export interface ResultRow {
  benchmark: string;
  name: string;
  unit: string;
  summary: Summary;
  /** What the series is compared with, and Slipway's median divided by the baseline's. */
  baseline?: { name: string; median: number };
  ratio?: number;
}

export interface BenchmarkSection {
  id: string;
  title: string;
  rows: ResultRow[];
  notes: string[];
  error: string | null;
  durationMs: number;
}

/** Collects what one benchmark measured and says. */
export class SectionRecorder {
  readonly rows: ResultRow[] = [];
  readonly notes: string[] = [];

  constructor(readonly title: string) {}

  /** Adds a series; with a baseline series, the ratio of the medians is reported too. */
  add(
    name: string,
    unit: string,
    values: readonly number[],
    baseline?: { name: string; values: readonly number[] },
  ): Summary {
    const summary = summarize(values);
    const row: ResultRow = { benchmark: this.title, name, unit, summary };
    if (baseline !== undefined) {
      const base = summarize(baseline.values).median;
      row.baseline = { name: baseline.name, median: base };
      row.ratio = base === 0 ? Number.NaN : summary.median / base;
    }
    this.rows.push(row);
    return summary;
  }

  note(text: string): void {
    this.notes.push(text);
  }
}

function formatNumber(value: number, unit: string): string {
  if (!Number.isFinite(value)) return '-';
  if (unit === 'req/s' || Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en');
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined) return '';
  if (!Number.isFinite(ratio)) return '-';
  return `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(2)}x`;
}

/** The rows as an aligned text table, one block per benchmark with its notes below it. */
export function renderTable(sections: readonly BenchmarkSection[]): string {
  const header = ['Measurement', 'Unit', 'n', 'Median', 'p95', 'Min-max', 'Baseline', 'Ratio'];
  const lines: string[] = [];
  for (const section of sections) {
    const cells = section.rows.map((row) => [
      row.name,
      row.unit,
      String(row.summary.n),
      formatNumber(row.summary.median, row.unit),
      formatNumber(row.summary.p95, row.unit),
      `${formatNumber(row.summary.min, row.unit)}-${formatNumber(row.summary.max, row.unit)}`,
      row.baseline === undefined
        ? ''
        : `${formatNumber(row.baseline.median, row.unit)} (${row.baseline.name})`,
      formatRatio(row.ratio),
    ]);
    const widths = header.map((title, column) =>
      Math.max(title.length, ...cells.map((cell) => (cell[column] ?? '').length)),
    );
    const numeric = new Set([2, 3, 4, 5, 7]);
    const render = (cell: readonly string[]) =>
      cell
        .map((text, column) => {
          const width = widths[column] ?? 0;
          return numeric.has(column) ? text.padStart(width) : text.padEnd(width);
        })
        .join('  ')
        .trimEnd();
    lines.push('', `## ${section.title} (${(section.durationMs / 1000).toFixed(0)} s)`);
    if (cells.length > 0) {
      lines.push(render(header), widths.map((width) => '-'.repeat(width)).join('  '));
      for (const cell of cells) lines.push(render(cell));
    }
    for (const note of section.notes) lines.push(`  * ${note}`);
    if (section.error !== null) lines.push(`  !! FAILED: ${section.error}`);
  }
  return lines.join('\n');
}
