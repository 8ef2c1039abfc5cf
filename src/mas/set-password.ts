// A new MAS password for an existing user, as `mas-cli manage set-password` writes it, with the
// extras the Synapse side offers: --reactivate and --logout.
import { AccountStateError } from '../errors.js';
import { nothingToReactivate } from '../synapse/messages.js';
import type { MasOperationResult } from './admin-operations.js';
import { revokePersonalSessions } from './admin-sessions.js';
import { scheduleJob, syncDevices, workerWarnings, type MasJob } from './jobs.js';
import { deactivatedInMas, lockedInMas, MAS_CACHE_NOTE } from './messages.js';
import type { MasPasswordRow } from './register.js';
import type { MasContext } from './session.js';
import { insertMasPasswords, requireMasUser, type MasUser, type RequireOptions } from './user-store.js';

/**
 * MAS's sync-devices job takes this lock (pg_advisory_xact_lock on the low 64 bits of the user id)
 * before it reads the user's sessions; taking it too means it sees the sessions before or after
 * this transaction, never half of it.
 */
export async function lockUserForSync(ctx: MasContext, user: MasUser): Promise<void> {
  const low64 = BigInt.asIntN(64, BigInt(`0x${user.id.replace(/-/g, '').slice(16)}`));
  await ctx.db.raw('SELECT pg_advisory_xact_lock(?::bigint)', [low64.toString()]);
}

/** The user set-password would change; throws when its state forbids it. Safe before asking for the password. */
export async function masUserForSetPassword(ctx: MasContext, localpart: string, opts: MasSetPasswordOptions): Promise<MasUser> {
  const user = await requireMasUser(ctx, localpart, opts);
  if (user.deactivatedAt !== null && !opts.reactivate) {
    throw new AccountStateError(deactivatedInMas('set the password of', user.username, 'Pass --reactivate to bring it back with the new password.'));
  }
  return user;
}

export interface EndedSessions {
  compat: number;
  oauth2: number;
  browser: number;
  /** Personal sessions revoked; 0 on MAS versions without them. */
  personal: number;
}

/**
 * What `mas-cli manage kill-sessions` ends (the active compat, OAuth 2 and browser sessions get
 * finished_at), plus the personal sessions acting as or owned by the user, which MAS's
 * deactivation revokes too (revoked_at, with their tokens); the caller then schedules
 * sync-devices, so that Synapse drops the devices.
 */
async function endMasSessions(ctx: MasContext, user: MasUser): Promise<EndedSessions> {
  const now = new Date(ctx.now());
  const finish = (table: string) => ctx.db(table).where({ user_id: user.id }).whereNull('finished_at').update({ finished_at: now });
  const compat = await finish('compat_sessions');
  const oauth2 = await finish('oauth2_sessions');
  const browser = await finish('user_sessions');
  let personal = 0;
  if (ctx.schema.has.personalSessions) {
    personal = await revokePersonalSessions(ctx, now, () =>
      ctx
        .db('personal_sessions')
        .where((q) => q.where({ actor_user_id: user.id }).orWhere({ owner_user_id: user.id }))
        .whereNull('revoked_at'),
    );
  }
  return { compat, oauth2, browser, personal };
}

export interface MasSetPasswordOptions extends RequireOptions {
  logout: boolean;
  reactivate: boolean;
}

export interface MasSetPasswordResult extends MasOperationResult {
  reactivated: boolean;
  /** Set with --logout. */
  sessionsEnded?: EndedSessions;
}

export async function setMasPassword(
  ctx: MasContext,
  localpart: string,
  password: MasPasswordRow,
  opts: MasSetPasswordOptions,
): Promise<MasSetPasswordResult> {
  const user = await masUserForSetPassword(ctx, localpart, opts);
  const userId = `@${user.username}:${ctx.serverName}`;
  const now = ctx.now();
  const changes: string[] = [];
  const warnings: string[] = [];
  const notes: string[] = [];
  const jobs: MasSetPasswordResult['jobs'] = [];
  const queue = async (job: MasJob, what: string) => {
    jobs.push({ id: await scheduleJob(ctx, job), queue: job.queue });
    changes.push(`queued MAS job ${job.queue} for ${job.payload.user_id}: ${what}`);
  };
  if (opts.logout) await lockUserForSync(ctx, user);
  await insertMasPasswords(ctx, [{ userId: user.id, ...password }], now);
  changes.push(`${user.username}: new password (scheme version ${password.version}); older ones kept, as MAS keeps them`);
  const reactivated = user.deactivatedAt !== null;
  if (reactivated) {
    // Cleared here rather than left to the job, so the user can log in even before MAS's worker
    // has run; the reactivate-user job then reactivates the Synapse account (and finds nothing left
    // to clear on MAS's side).
    await ctx.db('users').where({ user_id: user.id }).update({ deactivated_at: null });
    changes.push(`${user.username}: deactivated_at ${user.deactivatedAt!.toISOString()} -> NULL`);
    await queue({ queue: 'reactivate-user', payload: { user_id: user.ulid } }, `MAS's worker reactivates ${userId} in Synapse`);
    notes.push(`MAS's worker reactivates the Synapse account within seconds (reactivate-user job).`);
  } else if (opts.reactivate) {
    warnings.push(nothingToReactivate(user.username));
  }
  if (user.lockedAt !== null) {
    // MAS's reactivation leaves a lock alone (its admin API says so and tests it): a locked user
    // stays locked until someone unlocks it on purpose.
    warnings.push(lockedInMas(user.username));
  }
  let sessionsEnded: EndedSessions | undefined;
  if (opts.logout) {
    sessionsEnded = await endMasSessions(ctx, user);
    const s = sessionsEnded;
    changes.push(`${user.username}: ended ${s.compat} compat, ${s.oauth2} OAuth 2.0, ${s.browser} browser and ${s.personal} personal session(s)`);
    await queue(syncDevices(user), "MAS's worker removes the ended devices from Synapse");
    notes.push(
      `Ended ${s.compat} compat, ${s.oauth2} OAuth 2.0, ${s.browser} browser and ${s.personal} personal session(s); MAS rejects their tokens at once.`,
      MAS_CACHE_NOTE,
    );
  }
  return {
    userId,
    changed: true,
    changes,
    warnings: [...warnings, ...(jobs.length > 0 ? await workerWarnings(ctx) : [])],
    notes,
    jobs,
    reactivated,
    ...(sessionsEnded !== undefined ? { sessionsEnded } : {}),
  };
}
