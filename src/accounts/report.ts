// How every command reports an account operation's outcome, whichever store did it: warnings on
// stderr, then what was done (or would be, on a dry run) and what happens next; with --json one
// object with the keys json-shapes.ts lists for the command.
import type { Output } from '../output.js';
import type { JsonCommand, JsonOf } from './json-shapes.js';
import type { AccountOutcome } from './outcome.js';
import type { AdminFlagFacts, AdoptFacts, RegisterFacts, SetPasswordFacts, TokenFacts } from './store.js';

type FactsOf<C extends JsonCommand> = C extends 'promote' | 'demote'
  ? AdminFlagFacts
  : C extends 'register'
    ? RegisterFacts
    : C extends 'adopt'
      ? AdoptFacts
      : C extends 'set-password'
        ? SetPasswordFacts
        : C extends 'issue-token'
          ? TokenFacts
          : Record<never, never>;

/** The keys every outcome has (json-shapes.ts: OUTCOME_KEYS). */
function outcomeJson(o: AccountOutcome, dryRun: boolean) {
  return {
    user_id: o.userId,
    changed: o.changed,
    dry_run: dryRun,
    changes: o.changes,
    // A dry run's job ids were rolled back with everything else.
    jobs: o.jobs.map((j) => ({ queue: j.queue, id: dryRun ? null : j.id })),
    notes: o.notes,
    synapse_running: o.server.synapseRunning,
    restart_needed: o.server.restartNeeded,
    applied_via: o.server.appliedVia,
  };
}

/** What a dry run would have written, whichever command. */
function wouldChange(o: AccountOutcome): string[] {
  return [`Dry run: nothing was written. It would change${o.dryRunWhere}:`, ...o.changes.map((c) => `  ${c}`)];
}

/**
 * Prints an account operation's outcome: the same lines and keys for every command and store.
 * `_command` names the command only for the types: its facts and its JSON keys.
 */
export function reportOutcome<C extends Exclude<JsonCommand, 'issue-token' | 'list-admins' | 'check' | 'apply'>>(
  out: Output,
  _command: C,
  dryRun: boolean,
  o: AccountOutcome<FactsOf<C>>,
): void {
  for (const w of o.warnings) out.warn(w);
  const lines = dryRun ? (o.changed ? wouldChange(o) : [`Dry run: ${o.unchanged}`]) : [o.changed ? o.done : o.unchanged, ...o.notes];
  const json: JsonOf<C> = { ...outcomeJson(o, dryRun), ...o.facts } as JsonOf<C>;
  out.success(lines, json);
}

/**
 * issue-token's report: the token alone on stdout, for TOKEN=$(...) in scripts; what to know about
 * it on stderr (with --verbose only, when there is nothing to do next).
 */
export function reportToken(out: Output, dryRun: boolean, o: AccountOutcome<TokenFacts>): void {
  for (const w of o.warnings) out.warn(w);
  const json: JsonOf<'issue-token'> = { ...outcomeJson(o, dryRun), ...o.facts };
  if (dryRun) {
    out.success(wouldChange(o), json);
    return;
  }
  if (o.notes.length > 0) out.aside([o.done, ...o.notes]);
  else out.detail(o.done);
  out.success([String(o.facts.access_token)], json);
}
