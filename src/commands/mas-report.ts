// How commands report a change made in MAS's database. Unlike Synapse's side there is nothing to
// restart: Synapse asks MAS about every token (keeping an answer up to 2 minutes), and MAS's worker
// carries the rest over, so the report says that instead.
import type { Output } from '../output.js';
import type { MasOperationResult } from '../mas/admin-operations.js';
import { findUser } from '../synapse/user-store.js';
import type { GlobalArgs } from './global-options.js';
import type { Prepared } from './prepare.js';

export async function reportMasOperation(
  out: Output,
  args: GlobalArgs,
  res: MasOperationResult,
  summary: { done: string; unchanged: string },
  extra: Record<string, unknown> = {},
): Promise<void> {
  for (const w of res.warnings) out.warn(w);
  const lines = args.dryRun
    ? res.changed
      ? ['Dry run: nothing was written. It would change (in MAS):', ...res.changes.map((c) => `  ${c}`)]
      : [`Dry run: ${summary.unchanged}`]
    : [res.changed ? summary.done : summary.unchanged, ...res.notes];
  out.success(lines, {
    user_id: res.userId,
    changed: res.changed,
    dry_run: args.dryRun,
    changes: res.changes,
    // A dry run's job ids were rolled back with everything else.
    jobs: res.jobs.map((j) => ({ queue: j.queue, id: args.dryRun ? null : j.id })),
    notes: res.notes,
    ...extra,
  });
}

/**
 * Whether Synapse's users table has the user, for the message when MAS has none: a look at
 * Synapse's database only then. Undefined when that look fails: the not-found error stays the news.
 */
export function inSynapse(prepared: Prepared, userId: string): () => Promise<boolean | undefined> {
  return () =>
    prepared.read((ctx) => findUser(ctx, userId)).then(
      (u) => u !== undefined,
      () => undefined,
    );
}
