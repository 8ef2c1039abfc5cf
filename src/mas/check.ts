// What `check` reports about MAS: its schema, password schemes, admins, worker and queue, and
// where named users exist. Reads only.
import type { MasPasswords } from './config.js';
import { adminEntries, type MasAdminEntry } from './admin-operations.js';
import { readQueue } from './jobs.js';
import { adoptHint, SYNAPSE_ONLY_STUCK } from './messages.js';
import type { MasContext } from './session.js';
import { findMasUser, isUsable, selectMasAdmins, toMasUser, type MasUser } from './user-store.js';

export interface MasSchemeReport {
  version: number;
  algorithm: string;
  unicode_normalization: boolean;
  /** bcrypt only. */
  cost?: number;
  /** Whether a pepper is set; never the pepper itself. */
  pepper: boolean;
}

export interface MasHealth {
  newest_migration: number;
  admins: MasAdminEntry[];
  usable_admins: number;
  worker_alive: boolean;
  worker_last_seen: string | null;
  jobs: {
    available: number;
    scheduled: number;
    running: number;
    failed: number;
    newest_failure: { queue: string; failed_at: string; reason: string | null } | null;
  };
}

export function describePasswords(passwords: MasPasswords | undefined): { enabled: boolean; minimum_complexity: number; schemes: MasSchemeReport[] } | null {
  if (passwords === undefined) return null;
  return {
    enabled: passwords.enabled,
    minimum_complexity: passwords.minimumComplexity,
    schemes: passwords.schemes.map((s) => ({
      version: s.version,
      algorithm: s.algorithm,
      unicode_normalization: s.unicodeNormalization,
      ...(s.algorithm === 'bcrypt' ? { cost: s.cost } : {}),
      pepper: s.secret !== undefined && s.secret.length > 0,
    })),
  };
}

export async function masHealth(ctx: MasContext): Promise<MasHealth> {
  const users = (await selectMasAdmins(ctx)).map(toMasUser);
  const q = await readQueue(ctx);
  return {
    newest_migration: ctx.schema.newestMigration,
    admins: adminEntries(ctx, users),
    usable_admins: users.filter(isUsable).length,
    worker_alive: q.workerAlive,
    worker_last_seen: q.workerLastSeen?.toISOString() ?? null,
    jobs: {
      available: q.available,
      scheduled: q.scheduled,
      running: q.running,
      failed: q.failed,
      newest_failure:
        q.newestFailure === null
          ? null
          : { queue: q.newestFailure.queue, failed_at: q.newestFailure.failedAt.toISOString(), reason: q.newestFailure.reason },
    },
  };
}

/** What it means for a user to be on one side only, in the words people meet it. */
export function presenceMeaning(inSynapse: boolean, mas: MasUser | undefined, localpart: string): string {
  if (inSynapse && mas !== undefined) {
    const state = [mas.lockedAt && 'locked', mas.deactivatedAt && 'deactivated', mas.isGuest && 'guest'].filter(Boolean);
    return state.length > 0 ? `in both; ${state.join(', ')} in MAS` : 'in both';
  }
  if (inSynapse) {
    return `in Synapse only: ${SYNAPSE_ONLY_STUCK}. ${adoptHint(localpart)}`;
  }
  if (mas !== undefined) {
    return (
      "in MAS only: MAS's provision-user job has not made the Synapse account yet, so its tokens fail in Synapse with " +
      '"User not found". It is made when a MAS worker runs the job (see the worker and jobs above).'
    );
  }
  return 'in neither';
}

/**
 * Of Synapse's own admins (user IDs, as check read them), those MAS has no user for: when MAS has
 * no usable admin, `adopt` brings one of them in, password and all.
 */
export async function synapseAdminsMissingInMas(ctx: MasContext, synapseAdmins: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const userId of synapseAdmins) {
    const localpart = userId.slice(1, userId.indexOf(':'));
    if ((await findMasUser(ctx, localpart).catch(() => undefined)) === undefined) missing.push(userId);
  }
  return missing;
}
