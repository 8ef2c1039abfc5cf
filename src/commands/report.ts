// How every command reports an operation's outcome, defined once.
import type { SynapseConfig } from '../config/types.js';
import type { Output } from '../output.js';
import type { GlobalArgs } from './global-options.js';
import { warnIfRunning } from './running-server.js';
import type { OperationResult } from '../synapse/user-operations.js';

/**
 * Prints an operation's outcome the same way for every command: what changed (or would, on a dry
 * run), and what a running Synapse will not see until it restarts.
 */
export async function reportOperation(
  out: Output,
  args: GlobalArgs,
  config: SynapseConfig,
  res: OperationResult,
  summary: { done: string; unchanged: string; cached?: string },
  extra: Record<string, unknown> = {},
): Promise<void> {
  for (const w of res.warnings) out.warn(w);
  const running =
    summary.cached !== undefined && !args.dryRun ? await warnIfRunning(config, out, res.changed, summary.cached) : undefined;
  const lines = args.dryRun
    ? res.changed
      ? ['Dry run: nothing was written. It would change:', ...res.changes.map((c) => `  ${c}`)]
      : [`Dry run: ${summary.unchanged}`]
    : [res.changed ? summary.done : summary.unchanged];
  out.success(lines, {
    user_id: res.userId,
    changed: res.changed,
    dry_run: args.dryRun,
    changes: res.changes,
    ...(running === undefined ? {} : { synapse_running: running, restart_needed: running && res.changed }),
    // Commands with --live say which way their change went; this is the database's.
    ...('live' in args ? { applied_via: 'database' } : {}),
    ...extra,
  });
}
