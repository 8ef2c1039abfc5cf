// promote, demote, unlock and list-admins on MAS's database. Each runs in the caller's transaction
// and says in words what it changed, so a dry run shows exactly what a real run would do.
import type { OperationResult } from '../synapse/user-operations.js';
import { countAdminSessions, describeSessions, endAdminSessions, totalOf, type AdminSessions } from './admin-sessions.js';
import { provisionUser, scheduleJob, syncDevices, workerWarnings, type MasJob } from './jobs.js';
import { adminSessionsHeld, inPolicyAdminUsers, lockedInMas, MAS_CACHE_NOTE, NO_ADMIN_LEFT, unlockLeavesDeactivated } from './messages.js';
import type { MasContext } from './session.js';
import {
  assertActiveMasUser,
  isUsable,
  requireMasUser,
  selectMasAdmins,
  toMasUser,
  updateCanRequestAdmin,
  type MasUser,
  type RequireOptions,
} from './user-store.js';

export interface MasOperationResult extends OperationResult {
  /** What the change means for the user, said after the summary. */
  notes: string[];
  /** The jobs queued for MAS's worker. */
  jobs: Array<{ id: string; queue: MasJob['queue'] }>;
}

/**
 * How a change of can_request_admin reads on MAS, in every command: the flag lets the user ask for
 * the admin scope at login; it is not admin rights itself.
 */
export function mayRequestAdminChange(who: string, from: boolean, to: boolean): string {
  const word = (b: boolean) => (b ? 'yes' : 'no');
  return `${who}: may request admin: ${word(from)} -> ${word(to)}`;
}

function userIdOf(ctx: MasContext, user: MasUser): string {
  return `@${user.username}:${ctx.serverName}`;
}

function inPolicy(ctx: MasContext, user: MasUser): boolean {
  return ctx.config.adminUsers.includes(user.username);
}

/** Builds the result, adding the worker warning when something changed. */
async function result(
  ctx: MasContext,
  user: MasUser,
  changes: string[],
  rest: { warnings?: string[]; notes?: string[]; jobs?: MasOperationResult['jobs'] } = {},
): Promise<MasOperationResult> {
  const changed = changes.length > 0;
  return {
    userId: userIdOf(ctx, user),
    changed,
    changes,
    warnings: [...(rest.warnings ?? []), ...(changed ? await workerWarnings(ctx) : [])],
    notes: rest.notes ?? [],
    jobs: rest.jobs ?? [],
  };
}

async function queue(ctx: MasContext, job: MasJob, jobs: MasOperationResult['jobs'], changes: string[]): Promise<void> {
  const id = await scheduleJob(ctx, job);
  jobs.push({ id, queue: job.queue });
  changes.push(`queued MAS job ${job.queue} for ${job.payload.user_id}`);
}

function lockWarnings(user: MasUser): string[] {
  return user.lockedAt === null ? [] : [lockedInMas(user.username)];
}

/** can_request_admin as promote, demote and register --exists-ok set it; says what changed, if anything. */
export async function setCanRequestAdmin(ctx: MasContext, user: MasUser, admin: boolean): Promise<string[]> {
  if (user.canRequestAdmin === admin) return [];
  await updateCanRequestAdmin(ctx, [user.id], admin);
  return [mayRequestAdminChange(user.username, user.canRequestAdmin, admin)];
}

export async function promote(ctx: MasContext, localpart: string, opts: RequireOptions = {}): Promise<MasOperationResult> {
  const user = await requireMasUser(ctx, localpart, opts);
  assertActiveMasUser(user, 'make an admin of');
  const changes = await setCanRequestAdmin(ctx, user, true);
  const notes = [
    `${userIdOf(ctx, user)} may now request admin rights: an admin client that requests the scope urn:synapse:admin:* ` +
      '(Synapse Admin/Ketesa, Element Admin) gets them when the user logs in to it. Sessions that exist already stay as they are.',
    `To act as admin right now, without an admin client, run \`issue-token ${user.username}\`.`,
    ...(inPolicy(ctx, user) ? [inPolicyAdminUsers([user.username], ctx.config.files)] : []),
  ];
  return result(ctx, user, changes, { warnings: lockWarnings(user), notes });
}

export interface DemoteOptions extends RequireOptions {
  /** End the user's admin sessions and let Synapse's device list follow. */
  logout: boolean;
}

/** The admin sessions a user holds, and, when there are any, what a demotion that leaves them says. */
export async function heldAdminSessions(ctx: MasContext, user: MasUser): Promise<{ sessions: AdminSessions; warnings: string[] }> {
  const sessions = await countAdminSessions(ctx, user);
  const warnings =
    totalOf(sessions) > 0
? [adminSessionsHeld(user.username, describeSessions(sessions))] : [];
  return { sessions, warnings };
}

export interface Demotion {
  changes: string[];
  notes: string[];
  jobs: MasOperationResult['jobs'];
  adminSessions: AdminSessions;
  sessionsEnded: boolean;
  /** The admin sessions left working (none with `logout`). */
  heldWarnings: string[];
  /** No usable admin is left in MAS (said only when the flag changed). */
  noAdminWarnings: string[];
}

/**
 * Takes can_request_admin away, as `demote` does and as `register --exists-ok --no-admin` does to
 * an existing admin: the flag; the admin sessions, which keep their rights until they end (ended
 * here with `logout`); and whether MAS is left without a usable admin.
 */
export async function takeAdminAway(ctx: MasContext, user: MasUser, logout: boolean): Promise<Demotion> {
  const flagChanges = await setCanRequestAdmin(ctx, user, false);
  const changes = [...flagChanges];
  const jobs: MasOperationResult['jobs'] = [];
  const notes: string[] = [];
  const held = await heldAdminSessions(ctx, user);
  const sessionsEnded = totalOf(held.sessions) > 0 && logout;
  if (sessionsEnded) {
    await endAdminSessions(ctx, user);
    changes.push(`${user.username}: ended ${describeSessions(held.sessions)}`);
    await queue(ctx, syncDevices(user), jobs, changes);
    notes.push(MAS_CACHE_NOTE);
  }
  const noAdminWarnings =
    flagChanges.length > 0 && (await usableMasAdmins(ctx)).length === 0 ? [NO_ADMIN_LEFT] : [];
  return {
    changes,
    notes,
    jobs,
    adminSessions: held.sessions,
    sessionsEnded,
    heldWarnings: sessionsEnded ? [] : held.warnings,
    noAdminWarnings,
  };
}

export async function demote(
  ctx: MasContext,
  localpart: string,
  opts: DemoteOptions,
): Promise<MasOperationResult & { adminSessions: AdminSessions; sessionsEnded: boolean }> {
  const user = await requireMasUser(ctx, localpart, opts);
  const demotion = await takeAdminAway(ctx, user, opts.logout);
  const warnings = [...demotion.heldWarnings];
  if (inPolicy(ctx, user)) {
    warnings.push(inPolicyAdminUsers([user.username], ctx.config.files));
  }
  warnings.push(...demotion.noAdminWarnings);
  const { changes, notes, jobs, adminSessions, sessionsEnded } = demotion;
  return { ...(await result(ctx, user, changes, { warnings, notes, jobs })), adminSessions, sessionsEnded };
}

export async function unlock(ctx: MasContext, localpart: string, opts: RequireOptions = {}): Promise<MasOperationResult> {
  const user = await requireMasUser(ctx, localpart, opts);
  const changes: string[] = [];
  const jobs: MasOperationResult['jobs'] = [];
  if (user.lockedAt !== null) {
    await ctx.db('users').where({ user_id: user.id }).update({ locked_at: null });
    changes.push(`${user.username}: locked_at ${user.lockedAt.toISOString()} -> NULL`);
    // As MAS's own unlock: provision-user tells Synapse the account is no longer locked.
    await queue(ctx, provisionUser(user), jobs, changes);
  }
  const warnings = user.deactivatedAt === null ? [] : [unlockLeavesDeactivated(user.username)];
  return result(ctx, user, changes, { warnings, jobs });
}

export type AdminSource = 'can_request_admin' | 'policy.data.admin_users';

export interface MasAdminEntry {
  user_id: string;
  username: string;
  /** Why MAS lets the user request admin rights. */
  sources: AdminSource[];
  /** False for a name in policy.data.admin_users that has no MAS user. */
  in_mas: boolean;
  locked: boolean;
  deactivated: boolean;
  guest: boolean;
}

/** Who may ask MAS for admin rights: the can_request_admin flag or MAS's policy, by username. */
export async function listAdmins(ctx: MasContext): Promise<MasAdminEntry[]> {
  return adminEntries(ctx, (await selectMasAdmins(ctx)).map(toMasUser));
}

/** list-admins' entries for the users selectMasAdmins read, and for the names in the policy that have no MAS user. */
export function adminEntries(ctx: MasContext, users: readonly MasUser[]): MasAdminEntry[] {
  const policy = ctx.config.adminUsers;
  const entries = users.map((u) => ({
    user_id: userIdOf(ctx, u),
    username: u.username,
    sources: [
      ...(u.canRequestAdmin ? ['can_request_admin' as const] : []),
      ...(policy.includes(u.username) ? ['policy.data.admin_users' as const] : []),
    ],
    in_mas: true,
    locked: u.lockedAt !== null,
    deactivated: u.deactivatedAt !== null,
    guest: u.isGuest,
  }));
  const missing = policy.filter((name) => !users.some((u) => u.username === name));
  for (const username of [...new Set(missing)]) {
    entries.push({
      user_id: `@${username}:${ctx.serverName}`,
      username,
      sources: ['policy.data.admin_users'],
      in_mas: false,
      locked: false,
      deactivated: false,
      guest: false,
    });
  }
  return entries.sort((a, b) => a.username.localeCompare(b.username));
}

/**
 * The admins that can act: MAS users that may request admin rights (can_request_admin, or named in
 * policy.data.admin_users, which no write here changes), neither locked nor deactivated nor guests.
 * Every "no usable admin left" check on MAS counts these.
 */
async function usableMasAdmins(ctx: MasContext): Promise<MasUser[]> {
  return (await selectMasAdmins(ctx)).map(toMasUser).filter(isUsable);
}
