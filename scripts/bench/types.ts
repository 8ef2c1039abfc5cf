// What each part of `npm run bench` hands back: one row per figure, ratios measured in one run.

export interface BenchRow {
  /** What was measured, e.g. "promote vs node -e 0". */
  what: string;
  /** Our time over the reference's, both medians of the same run. */
  ratio: number;
  /** The budget for the ratio, when it has one. */
  budget?: number;
  /** The raw medians and anything needed to read the row. */
  note?: string;
}

export interface BenchContext {
  /** Progress lines while measuring (stderr); the table is printed by scripts/bench.ts. */
  log(line: string): void;
}
