// --live auto|always|never: which way a change goes, and one run through the Admin API from the
// first token to the clean-up.
export type { LiveMode } from './option.js';
import type { LiveMode } from './option.js';
import type { SynapseConfig } from '../config/types.js';
import { detectRunningSynapse } from '../synapse/live-server.js';
import { AdminApiError, asAdmin, logoutEverywhere, TOKEN_LIFETIME_MS, type LiveDeps } from './actor.js';
import { describeCall, findAdminApi, type ConfirmedServer } from './http.js';
import { clientEndpoints } from './listeners.js';
import { applyLive, readBackFor, stepsFor, type LiveChange } from './operations.js';

export type Way = { via: 'admin-api'; server: ConfirmedServer; notes: string[] } | { via: 'database'; notes: string[] };

/**
 * auto: the Admin API when Synapse runs and one of its client listeners answers, else the
 * database; always: the Admin API or AdminApiError (nothing changed); never: the database.
 * MAS servers never come here: MAS's own jobs carry their changes.
 */
export async function chooseWay(mode: LiveMode, config: SynapseConfig): Promise<Way> {
  if (mode === 'never') return { via: 'database', notes: [] };
  const endpoints = clientEndpoints(config.listeners);
  const running = mode === 'auto' ? await detectRunningSynapse(config, {}) : undefined;
  if (running !== undefined && !running.running) return { via: 'database', notes: ['Synapse does not look like it is running.'] };
  const found = endpoints.length > 0 ? await findAdminApi(endpoints) : { notes: ['no http listener with the client resource in the config'] };
  if (found.server !== undefined) return { via: 'admin-api', server: found.server, notes: found.notes };
  if (mode === 'always') {
    throw new AdminApiError(
      `--live always: no client listener of ${config.files.join(', ')} answers as Synapse's Admin API on this host (${found.notes.join('; ')}). ` +
        'Nothing was changed. Start Synapse, or run with --live never and restart Synapse afterwards.',
    );
  }
  return { via: 'database', notes: found.notes };
}

export interface LivePlan {
  /** Changes made by an admin through the Admin API. */
  changes: LiveChange[];
  /** Between the admin changes and the logout: what goes into the database (a password hash: not cached). */
  between?: () => Promise<void>;
  /** Log out every session of this user, with a token of its own. */
  logoutUser?: string;
  /** Never act as this user (Synapse refuses demoting yourself). */
  exclude?: string;
}

export interface LiveRun {
  /** What Synapse changed, in the words of a database change. */
  changes: string[];
  /** What the run did to get there: who acted, clean-up (never a token). */
  steps: string[];
  warnings: string[];
}

/** Runs a plan through the Admin API; every token the tool minted is ended before it returns. */
export async function runLive(server: ConfirmedServer, deps: Omit<LiveDeps, 'say'>, plan: LivePlan): Promise<LiveRun> {
  const steps: string[] = [`Synapse ${server.serverVersion} answers at ${server.endpoint.label}.`];
  const d: LiveDeps = { ...deps, say: (line) => steps.push(line) };
  const run: LiveRun = { changes: [], steps, warnings: [] };
  const needsAdmin = plan.changes.some((c) => stepsFor(c).length > 0);
  if (needsAdmin) {
    const { warnings } = await asAdmin(server, d, { exclude: plan.exclude }, (session) => applyLive(session, plan.changes, run.changes));
    run.warnings.push(...warnings);
  }
  try {
    await plan.between?.();
  } catch (err) {
    if (run.changes.length > 0 && err instanceof Error) err.message += ` Already done through the Admin API: ${run.changes.join('; ')}.`;
    throw err;
  }
  if (plan.logoutUser !== undefined) {
    try {
      await logoutEverywhere(server, d, plan.logoutUser);
    } catch (err) {
      if (err instanceof AdminApiError && run.changes.length + (plan.between ? 1 : 0) > 0) {
        err.message += ` Already done: ${[...run.changes, ...(plan.between ? ['the new password (in the database)'] : [])].join('; ')}.`;
      }
      throw err;
    }
    run.changes.push(`${plan.logoutUser}: every session logged out by Synapse (POST /_matrix/client/v3/logout/all)`);
  }
  return run;
}

/** What a dry run prints: each API call the run would make, and the tokens it would mint. */
export function describePlan(server: ConfirmedServer, plan: LivePlan): string[] {
  const lines = [`Through Synapse ${server.serverVersion}'s Admin API at ${server.endpoint.label}:`];
  const minutes = TOKEN_LIFETIME_MS / 60_000;
  const calls = plan.changes.flatMap((c) => {
    const steps = stepsFor(c);
    return steps.length === 0 ? [] : [...steps.map((s) => describeCall(s.call)), `${describeCall(readBackFor(c))} (read back)`];
  });
  if (calls.length > 0) {
    lines.push(
      `  write a ${minutes}-minute token (no device) for an active, unlocked admin${plan.exclude ? ` other than ${plan.exclude}` : ''}, or, if there is none or Synapse answers 403, for a helper admin sab-live-<8 hex> made for this run`,
      ...calls.map((c) => `  ${c}`),
      '  POST /_matrix/client/v3/logout (an admin\'s token), or POST /_synapse/admin/v1/deactivate/<helper> {"erase":true} (a helper)',
    );
  }
  if (plan.between) lines.push('  then in the database: the new password hash');
  if (plan.logoutUser) {
    lines.push(`  write a ${minutes}-minute token for ${plan.logoutUser}`, '  POST /_matrix/client/v3/logout/all (with that token: every session of the user ends)');
  }
  return lines;
}
