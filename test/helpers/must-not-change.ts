/** What a command-table case needs for the rule below. */
export interface TableCase {
  args: string[];
  code: number;
  /** A successful run that must leave every row as it was. */
  unchanged?: true;
}

/**
 * Every failing case and every dry run leaves the databases as they were; a case may say the same
 * of a successful run. Both command tables (Synapse's and MAS's) check it on every such case.
 */
export function mustNotChange(c: TableCase): boolean {
  return c.code !== 0 || c.args.some((a) => /^--dry-run(=|$)/.test(a)) || c.unchanged === true;
}
