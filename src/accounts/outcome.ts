// What every account operation returns, whichever store (Synapse's tables, MAS's, or a running
// Synapse's Admin API with --live) did it: report.ts prints it, in text and --json, the same way.

/** A job queued for MAS's worker; the id is null on a dry run, whose jobs were rolled back. */
export interface QueuedJob {
  queue: string;
  id: string | null;
}

/**
 * What happens after the command, as far as the running server is concerned. On Synapse's tables:
 * whether Synapse runs and so needs a restart to see a cached change; a store that is not asked
 * (MAS: its worker carries the change, or a dry run) leaves both null.
 */
export interface ServerFollowUp {
  /** A warning to print (e.g. the restart advice); said before the summary. */
  warnings: string[];
  /** What happens next, in sentences said after the summary (e.g. MAS's worker, a cache). */
  notes: string[];
  synapseRunning: boolean | null;
  restartNeeded: boolean | null;
  /** Which way a change to Synapse went (--live): its Admin API or its tables; null on MAS. */
  appliedVia: 'admin-api' | 'database' | null;
}

/**
 * A generated password is printed once, after the summary and as the `password` key, and never on a
 * dry run (nothing was stored): the line to add to the summary and the key, both empty otherwise.
 */
export function shownPassword(generated: string | undefined, dryRun: boolean): { line: string; facts: { password?: string } } {
  return generated === undefined || dryRun ? { line: '', facts: {} } : { line: `\nPassword: ${generated}`, facts: { password: generated } };
}

export const NO_FOLLOW_UP: ServerFollowUp = { warnings: [], notes: [], synapseRunning: null, restartNeeded: null, appliedVia: null };

/**
 * One account operation's outcome. `F` holds the command's own JSON keys (json-shapes.ts
 * lists them), with the same keys on every store: a key that does not apply is null, or an empty
 * list; only a secret (a generated password, a token) is absent when it is not printed.
 */
export interface AccountOutcome<F extends object = Record<never, never>> {
  userId: string;
  changed: boolean;
  /** What changed (or would, on a dry run), a line each. */
  changes: string[];
  warnings: string[];
  /** What happens next, in sentences: said after the summary on a real run. */
  notes: string[];
  jobs: QueuedJob[];
  /** The sentence for a run that changed something. */
  done: string;
  /** The sentence for a run that had nothing to change (also a dry run's). */
  unchanged: string;
  /** Where a dry run would have written, in its heading: '' or ' (in MAS)'. */
  dryRunWhere: string;
  server: ServerFollowUp;
  facts: F;
}

/** An operation result without the follow-up, as the stores' operation functions return it. */
export interface OperationLike {
  userId: string;
  changed: boolean;
  changes: string[];
  warnings: string[];
  notes?: string[];
  jobs?: Array<{ queue: string; id: string }>;
}

/** The outcome of `res`, its follow-up said after the operation's own warnings and notes. */
export function outcomeOf<F extends object>(
  res: OperationLike,
  words: { done: string; unchanged: string; dryRunWhere?: string },
  server: ServerFollowUp,
  facts: F,
): AccountOutcome<F> {
  return {
    userId: res.userId,
    changed: res.changed,
    changes: res.changes,
    warnings: [...res.warnings, ...server.warnings],
    notes: [...(res.notes ?? []), ...server.notes],
    jobs: res.jobs ?? [],
    done: words.done,
    unchanged: words.unchanged,
    dryRunWhere: words.dryRunWhere ?? '',
    server,
    facts,
  };
}
