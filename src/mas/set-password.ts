// A new MAS password for an existing user, as `mas-cli manage set-password` writes it, with the
// extras the Synapse side offers: --reactivate and --logout.
import { AccountStateError } from '../errors.js';
import type { OperationResult } from '../synapse/user-operations.js';
import { newMasId } from './ids.js';
import { scheduleJob } from './jobs.js';
import type { MasPasswordRow } from './register.js';
import type { MasContext } from './session.js';
import { requireMasUser, type MasUser } from './user-store.js';

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
export async function masUserForSetPassword(ctx: MasContext, localpart: string, reactivate: boolean): Promise<MasUser> {
  const user = await requireMasUser(ctx, localpart);
  if (user.deactivatedAt !== null && !reactivate) {
    throw new AccountStateError(
      `Cannot set the password of ${user.username}: the MAS account is deactivated. Pass --reactivate to bring it back with the new password.`,
    );
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
 * deactivation revokes too (revoked_at, with their tokens); then sync-devices, so that Synapse
 * drops the devices.
 */
export async function endMasSessions(ctx: MasContext, user: MasUser): Promise<EndedSessions> {
  const now = new Date(ctx.now());
  const finish = (table: string) => ctx.db(table).where({ user_id: user.id }).whereNull('finished_at').update({ finished_at: now });
  const compat = await finish('compat_sessions');
  const oauth2 = await finish('oauth2_sessions');
  const browser = await finish('user_sessions');
  let personal = 0;
  if (ctx.schema.has.personalSessions) {
    const sessions = () =>
      ctx
        .db('personal_sessions')
        .where((q) => q.where({ actor_user_id: user.id }).orWhere({ owner_user_id: user.id }))
        .whereNull('revoked_at');
    // As MAS's revoke of one session: its tokens first, then the session.
    await ctx
      .db('personal_access_tokens')
      .whereIn('personal_session_id', sessions().select('personal_session_id'))
      .whereNull('revoked_at')
      .update({ revoked_at: now });
    personal = await sessions().update({ revoked_at: now });
  }
  await scheduleJob(ctx, { queue: 'sync-devices', payload: { user_id: user.ulid } });
  return { compat, oauth2, browser, personal };
}

export interface MasSetPasswordOptions {
  logout: boolean;
  reactivate: boolean;
}

export interface MasSetPasswordResult extends OperationResult {
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
  const user = await masUserForSetPassword(ctx, localpart, opts.reactivate);
  const userId = `@${user.username}:${ctx.serverName}`;
  const now = ctx.now();
  const changes: string[] = [];
  const warnings: string[] = [];
  if (opts.logout) await lockUserForSync(ctx, user);
  // MAS keeps a user's old password rows; the newest one is the password.
  await ctx.db('user_passwords').insert({
    user_password_id: newMasId(now),
    user_id: user.id,
    hashed_password: password.hash,
    version: password.version,
    created_at: new Date(now),
    upgraded_from_id: null,
  });
  changes.push(`${user.username}: new password (scheme version ${password.version}); older ones kept, as MAS keeps them`);
  const reactivated = user.deactivatedAt !== null;
  if (reactivated) {
    // Cleared here rather than left to the job, so the user can log in even before MAS's worker
    // has run; the reactivate-user job then reactivates the Synapse account (and finds nothing left
    // to clear on MAS's side).
    await ctx.db('users').where({ user_id: user.id }).update({ deactivated_at: null });
    await scheduleJob(ctx, { queue: 'reactivate-user', payload: { user_id: user.ulid } });
    changes.push(`${user.username}: deactivated_at cleared`, `job reactivate-user for ${user.username}: MAS's worker reactivates ${userId} in Synapse`);
  } else if (opts.reactivate) {
    warnings.push(`${user.username} was not deactivated; --reactivate had nothing to do.`);
  }
  if (user.lockedAt !== null) {
    // MAS's reactivation leaves a lock alone (its admin API says so and tests it): a locked user
    // stays locked until someone unlocks it on purpose.
    warnings.push(`${user.username} is locked in MAS, so it cannot log in with this password yet. Run \`unlock ${user.username}\` to clear the lock.`);
  }
  let sessionsEnded: EndedSessions | undefined;
  if (opts.logout) {
    sessionsEnded = await endMasSessions(ctx, user);
    const s = sessionsEnded;
    changes.push(
      `${user.username}: ended ${s.compat} compat, ${s.oauth2} OAuth 2.0, ${s.browser} browser and ${s.personal} personal session(s)`,
      `job sync-devices for ${user.username}: MAS's worker removes the ended devices from Synapse`,
    );
  }
  return {
    userId,
    changed: true,
    changes,
    warnings,
    reactivated,
    ...(sessionsEnded !== undefined ? { sessionsEnded } : {}),
  };
}
