// What both command tables (Synapse's, test/synapse-cases/, and MAS's, test/mas-cases/)
// check of every case once it is set up: exit code, the error, and the databases left as they were.
import { expect } from 'vitest';
import type { CliRun } from './run-cli.js';

/** What a command-table case needs for the checks below. */
export interface TableCase<W> {
  /** The command line after the config options and --json, which the table's runner adds. */
  args: string[];
  input?: string;
  code: number;
  /** A fragment of the error message (checked in the --json error and on stderr). */
  message?: RegExp;
  /** A successful run that must leave every row as it was; failing and --dry-run cases always must. */
  unchanged?: true;
  check?: (world: W, run: CliRun) => Promise<void>;
}

/**
 * Every failing case and every dry run leaves the databases as they were; a case may say the same
 * of a successful run.
 */
function mustNotChange(c: Pick<TableCase<unknown>, 'args' | 'code' | 'unchanged'>): boolean {
  return c.code !== 0 || c.args.some((a) => /^--dry-run(=|$)/.test(a)) || c.unchanged === true;
}

/** Runs a case whose world is ready (config written, rows seeded): `run` adds --json and the config. */
export async function playCase<W>(
  c: TableCase<W>,
  world: W,
  snapshot: () => Promise<unknown>,
  run: (args: string[], input?: string) => Promise<CliRun>,
): Promise<void> {
  const before = mustNotChange(c) ? await snapshot() : undefined;
  const result = await run(c.args, c.input);
  expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: c.code });
  if (c.code !== 0) {
    const { error } = result.json();
    expect(error.code).toBe(c.code);
    if (c.message) {
      expect(error.message).toMatch(c.message);
      expect(result.stderr).toMatch(c.message);
    }
  }
  if (before !== undefined) expect(await snapshot()).toEqual(before);
  await c.check?.(world, result);
}
