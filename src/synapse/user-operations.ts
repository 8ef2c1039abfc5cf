// The changes the tool makes to users. Each function runs inside the caller's transaction and
// reports what it changed in words, so a dry run can show exactly what a real run would do.
import { sqlBool } from '../database/dialect.js';
import { UserExistsError, UserNotFoundError } from '../errors.js';
import type { AppServiceUsers } from '../config/appservice.js';
import { INSERT_BATCH, slices } from '../database/batches.js';
import { lockWarnings, nothingToReactivate, reactivateHint, unlockLeavesDeactivated } from './messages.js';
import { addToUserDirectory, ensureProfiles, listedInUserDirectory, readProfile } from './user-directory.js';
import {
  assertActiveAccount,
  findUser,
  localpartOf,
  noAdminLeftWarnings,
  requireUser,
  selectAdmins,
  toUserRow,
  updateAdmin,
  updatePasswordHashes,
  type UserContext,
  type UserRow,
} from './user-store.js';

export interface OperationResult {
  userId: string;
  changed: boolean;
  changes: string[];
  warnings: string[];
}

function result(userId: string, changes: string[], warnings: string[] = []): OperationResult {
  return { userId, changed: changes.length > 0, changes, warnings };
}

export async function promote(ctx: UserContext, userId: string): Promise<OperationResult> {
  const user = await requireUser(ctx, userId);
  assertActiveAccount(user, 'make an admin of', reactivateHint(user.name));
  const { changes } = await setAdminFlag(ctx, user, true);
  return result(user.name, changes, lockWarnings(user));
}

export async function demote(ctx: UserContext, userId: string): Promise<OperationResult> {
  const user = await requireUser(ctx, userId);
  const { changes, warnings } = await setAdminFlag(ctx, user, false);
  return result(user.name, changes, warnings);
}

/**
 * users.admin as promote, demote and register --exists-ok set it; says what changed, if anything.
 * Taking it away is a demotion whichever command asks, and warns when no usable admin is left.
 */
async function setAdminFlag(ctx: UserContext, user: UserRow, admin: boolean): Promise<{ changes: string[]; warnings: string[] }> {
  if (user.admin === admin) return { changes: [], warnings: [] };
  await updateAdmin(ctx, [user.name], admin);
  return {
    changes: [`${user.name}: admin ${Number(user.admin)} -> ${Number(admin)}`],
    warnings: admin ? [] : await noAdminLeftWarnings(ctx),
  };
}

export interface RegisterInput {
  userId: string;
  localpart: string;
  admin: boolean;
  existsOk: boolean;
}

export interface NewUser {
  /** Needed only when the user is created; null: nobody can log in with a password (a --live helper). */
  passwordHash: string | null;
  /** Empty: no profile row, as Synapse does for an empty display name. */
  displayname: string;
  userType: string | null;
  /** listedInUserDirectory(), decided by the caller, which knows the user type. */
  inDirectory: boolean;
  /** stats.enabled */
  stats: boolean;
}

/**
 * The existing user `register` would act on, or undefined when it would create one; throws when
 * registering is refused. Synapse treats user IDs case-insensitively, so with --exists-ok a user
 * that differs only in case (a legacy @Frank) is the user, as `promote frank` takes it. Commands
 * call it before asking for a password, and register again inside its transaction.
 */
export async function existingForRegister(ctx: UserContext, input: RegisterInput): Promise<UserRow | undefined> {
  const existing = await findUser(ctx, input.userId);
  if (existing === undefined) return undefined;
  if (!input.existsOk) {
    throw new UserExistsError(
      input.userId,
      existing.name === input.userId
        ? 'Use `promote` or `set-password` on it, or pass --exists-ok.'
        : `Synapse treats user IDs case-insensitively and ${existing.name} is taken. Choose another name, or pass --exists-ok to keep ${existing.name}.`,
    );
  }
  assertActiveAccount(existing, 'apply --exists-ok to', reactivateHint(existing.name));
  return existing;
}

/** register --exists-ok on a user that is there: apply the admin flag as asked, nothing else. */
async function registerExisting(
  ctx: UserContext,
  existing: UserRow,
  admin: boolean,
): Promise<OperationResult & { created: boolean }> {
  const flag = await setAdminFlag(ctx, existing, admin);
  return { ...result(existing.name, flag.changes, [...lockWarnings(existing), ...flag.warnings]), created: false };
}

export async function register(
  ctx: UserContext,
  input: RegisterInput,
  newUser: NewUser | undefined,
): Promise<OperationResult & { created: boolean }> {
  const existing = await existingForRegister(ctx, input);
  if (existing !== undefined) return registerExisting(ctx, existing, input.admin);
  if (newUser === undefined) {
    throw new UserNotFoundError(input.userId, 'It was deleted while this command ran; run it again.');
  }
  const [taken] = await createUsers(ctx, [{ userId: input.userId, localpart: input.localpart, admin: input.admin, newUser }]);
  if (taken !== undefined) {
    if (!input.existsOk) {
      throw new UserExistsError(input.userId, 'It was created while this command ran; run it again (with --exists-ok to accept it).');
    }
    const racer = await existingForRegister(ctx, input);
    if (racer === undefined) throw new Error(`INSERT of ${input.userId} conflicted, yet no such user is there`);
    return registerExisting(ctx, racer, input.admin);
  }
  return { ...result(input.userId, [describeCreation(input.userId, input.admin, newUser)]), created: true };
}

/** How a creation reads in a command's list of changes. */
export function describeCreation(userId: string, admin: boolean, newUser: Pick<NewUser, 'displayname' | 'userType'>): string {
  const what = [admin ? 'admin' : 'non-admin', newUser.userType].filter(Boolean).join(' ');
  const named = newUser.displayname === '' ? 'no display name' : `display name "${newUser.displayname}"`;
  return `created ${what} user ${userId} (${named})`;
}

export interface NewAccount {
  userId: string;
  localpart: string;
  admin: boolean;
  newUser: NewUser;
}

/**
 * Writes new users as Synapse's registration writes them, a slice of rows per statement, so that
 * `register` and `apply` write the same rows. Returns the user IDs that another writer created
 * first: those are left as they are, and nothing else is written for them.
 */
export async function createUsers(ctx: UserContext, accounts: readonly NewAccount[]): Promise<string[]> {
  const { db, dialect, schema } = ctx;
  const userCols = schema.columns.users;
  // Synapse stores creation_ts in seconds, unlike most of its timestamps.
  const creationTs = Math.floor(ctx.now() / 1000);
  const inserted = new Set<string>();
  for (const slice of slices(accounts, INSERT_BATCH)) {
    // DO NOTHING rather than an error: a failed INSERT would abort PostgreSQL's transaction, and a
    // racer that created the user first (it waits for that racer to commit) is for the caller to
    // judge. SQLite's write lock lets no racer in between.
    const rows: Array<{ name: string }> = await db('users')
      .insert(
        slice.map(({ userId, admin, newUser }) => ({
          name: userId,
          password_hash: newUser.passwordHash,
          creation_ts: creationTs,
          is_guest: 0,
          appservice_id: null,
          admin: admin ? 1 : 0,
          ...(userCols.has('user_type') ? { user_type: newUser.userType } : {}),
          ...(userCols.has('shadow_banned') ? { shadow_banned: sqlBool(dialect, false) } : {}),
          // Like Synapse's admin registration API: an operator-made account needs no approval.
          ...(userCols.has('approved') ? { approved: sqlBool(dialect, true) } : {}),
        })),
      )
      .onConflict('name')
      .ignore()
      .returning('name');
    for (const r of rows) inserted.add(r.name);
  }
  const created = accounts.filter((a) => inserted.has(a.userId));
  const displayname = (a: NewAccount) => (a.newUser.displayname === '' ? null : a.newUser.displayname);
  // An empty display name means no profile row, as Synapse does.
  await ensureProfiles(
    ctx,
    created.filter((a) => displayname(a) !== null).map((a) => ({ userId: a.userId, localpart: a.localpart, displayname: displayname(a) })),
  );
  await addToUserDirectory(
    ctx,
    created
      .filter((a) => a.newUser.inDirectory)
      .map((a) => ({ userId: a.userId, localpart: a.localpart, profile: { displayname: displayname(a), avatarUrl: null } })),
  );
  const withStats = created.filter((a) => a.newUser.stats);
  if (withStats.length > 0 && schema.columns.user_stats_current.size > 0) await addUserStats(ctx, withStats.map((a) => a.userId));
  return accounts.filter((a) => !inserted.has(a.userId)).map((a) => a.userId);
}

/** Synapse's _update_stats_delta_txn for brand-new users: a completed row at the current state-delta position. */
async function addUserStats(ctx: UserContext, userIds: readonly string[]): Promise<void> {
  const position = ctx.schema.columns.current_state_delta_stream.size > 0
    ? Number((await ctx.db('current_state_delta_stream').max({ m: 'stream_id' }).first())?.m ?? -1)
    : -1;
  for (const slice of slices(userIds, INSERT_BATCH)) {
    await ctx
      .db('user_stats_current')
      .insert(slice.map((userId) => ({ user_id: userId, joined_rooms: 0, completed_delta_stream_id: position })))
      .onConflict('user_id')
      .merge(['completed_delta_stream_id']);
  }
}

export interface SetPasswordOptions {
  logout: boolean;
  reactivate: boolean;
  /** For --reactivate: who may go back into the user directory. */
  appServices: readonly AppServiceUsers[];
}

/** The user set-password would change; throws when its state forbids it. Safe to call before asking for the password. */
export async function userForSetPassword(ctx: UserContext, userId: string, reactivate: boolean): Promise<UserRow> {
  const user = await requireUser(ctx, userId);
  // A deactivated user passes only with --reactivate; guests and app-service users never do.
  assertActiveAccount(
    { ...user, deactivated: user.deactivated && !reactivate },
    user.deactivated && reactivate ? 'reactivate' : 'set the password of',
    'Pass --reactivate to bring it back with the new password.',
  );
  return user;
}

export async function setPassword(
  ctx: UserContext,
  userId: string,
  passwordHash: string,
  opts: SetPasswordOptions,
): Promise<OperationResult & { tokensRemoved: number; pushersRemoved: number; reactivated: boolean }> {
  const user = await userForSetPassword(ctx, userId, opts.reactivate);
  const changes = user.deactivated ? await reactivate(ctx, user, opts.appServices) : [];
  await updatePasswordHashes(ctx, [{ name: user.name, hash: passwordHash }]);
  changes.push(`${user.name}: new password hash`);
  const { tokensRemoved, pushersRemoved } = opts.logout ? await logout(ctx, user.name) : { tokensRemoved: 0, pushersRemoved: 0 };
  if (opts.logout) {
    changes.push(`${user.name}: ${tokensRemoved} access token(s) and its refresh tokens deleted`);
    if (pushersRemoved > 0) changes.push(`${user.name}: ${pushersRemoved} pusher(s) deleted`);
  }
  const warnings = opts.reactivate && !user.deactivated ? [nothingToReactivate(user.name)] : [];
  return {
    ...result(user.name, changes, [...warnings, ...lockWarnings(user)]),
    tokensRemoved,
    pushersRemoved,
    reactivated: user.deactivated,
  };
}

/**
 * What Synapse's password reset with logout_devices removes without writing a stream: every
 * access and refresh token, and the pushers. Synapse deletes the pushers of each device and token
 * it ends, which after a full logout is every pusher a session made; one whose session is already
 * gone would keep pushing too, so all of the user's pushers go, as on deactivation. Synapse's
 * deleted_pushers rows only tell workers to stop a pusher at once: they are a stream (ids from
 * Synapse's own generator, in memory on SQLite), so none is written. A running HTTP pusher stops
 * by itself when it finds its row gone; a restart forgets the rest.
 */
async function logout(ctx: UserContext, userId: string): Promise<{ tokensRemoved: number; pushersRemoved: number }> {
  const tokensRemoved = await ctx.db('access_tokens').where({ user_id: userId }).delete();
  if (ctx.schema.columns.refresh_tokens.size > 0) await ctx.db('refresh_tokens').where({ user_id: userId }).delete();
  const pushersRemoved = ctx.schema.columns.pushers.size > 0 ? await ctx.db('pushers').where({ user_name: userId }).delete() : 0;
  return { tokensRemoved, pushersRemoved };
}

/** Synapse's DeactivateAccountHandler.activate_account, minus what needs a running server. */
async function reactivate(ctx: UserContext, user: UserRow, appServices: readonly AppServiceUsers[]): Promise<string[]> {
  const localpart = localpartOf(user.name);
  const changes: string[] = [];
  if (ctx.schema.columns.erased_users.size > 0) {
    const erased = await ctx.db('erased_users').where({ user_id: user.name }).delete();
    if (erased > 0) changes.push(`${user.name}: no longer marked as erased`);
  }
  const recreated = await ensureProfiles(ctx, [{ userId: user.name, localpart, displayname: null }]);
  if (recreated.size > 0) changes.push(`${user.name}: profile recreated`);
  await ctx.db('users').where({ name: user.name }).update({ deactivated: 0 });
  changes.push(`${user.name}: deactivated 1 -> 0`);
  if (listedInUserDirectory(user.name, user.userType, appServices)) {
    await addToUserDirectory(ctx, [{ userId: user.name, localpart, profile: await readProfile(ctx, user.name, localpart) }]);
    changes.push(`${user.name}: back in the user directory`);
  }
  return changes;
}

export interface UnlockOptions {
  unshadowban: boolean;
}

export async function unlock(ctx: UserContext, userId: string, opts: UnlockOptions): Promise<OperationResult> {
  const user = await requireUser(ctx, userId);
  const cols = ctx.schema.columns.users;
  const flags: Array<[string, boolean]> = [
    ['locked', user.locked],
    ['suspended', user.suspended],
    ...(opts.unshadowban ? ([['shadow_banned', user.shadowBanned]] as Array<[string, boolean]>) : []),
  ];
  const toClear = flags.filter(([col, set]) => set && cols.has(col)).map(([col]) => col);
  if (toClear.length > 0) {
    await ctx
      .db('users')
      .where({ name: user.name })
      .update(Object.fromEntries(toClear.map((c) => [c, sqlBool(ctx.dialect, false)])));
  }
  const warnings = user.deactivated ? [unlockLeavesDeactivated(user.name)] : [];
  return result(user.name, toClear.map((c) => `${user.name}: ${c} true -> false`), warnings);
}

export interface AdminEntry {
  user_id: string;
  deactivated: boolean;
  locked: boolean;
  suspended: boolean;
  shadow_banned: boolean;
  user_type: string | null;
}

export async function listAdmins(ctx: UserContext): Promise<AdminEntry[]> {
  const rows = await selectAdmins(ctx);
  return rows.map(toUserRow).map((u) => ({
    user_id: u.name,
    deactivated: u.deactivated,
    locked: u.locked,
    suspended: u.suspended,
    shadow_banned: u.shadowBanned,
    user_type: u.userType,
  }));
}
