// The changes the tool makes to users. Each function runs inside the caller's transaction and
// reports what it changed in words, so a dry run can show exactly what a real run would do.
import { sqlBool } from './dialect.js';
import { UserExistsError } from './errors.js';
import { addToUserDirectory, ensureProfile, readProfile } from './user-directory.js';
import {
  REACTIVATE_HINT,
  assertActiveAccount,
  countUsers,
  findUser,
  localpartOf,
  requireUser,
  selectUsers,
  toUserRow,
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

function lockWarnings(user: UserRow): string[] {
  const states = [user.locked && 'locked', user.suspended && 'suspended'].filter(Boolean);
  return states.length > 0
    ? [`${user.name} is ${states.join(' and ')}: Synapse refuses its requests until you run \`unlock ${user.name}\`.`]
    : [];
}

export async function promote(ctx: UserContext, userId: string): Promise<OperationResult> {
  const user = await requireUser(ctx, userId);
  assertActiveAccount(user, 'make an admin of', REACTIVATE_HINT);
  if (user.admin) return result(user.name, [], lockWarnings(user));
  await ctx.db('users').where({ name: user.name }).update({ admin: 1 });
  return result(user.name, [`${user.name}: admin 0 -> 1`], lockWarnings(user));
}

export async function demote(ctx: UserContext, userId: string): Promise<OperationResult> {
  const user = await requireUser(ctx, userId);
  if (!user.admin) return result(user.name, []);
  await ctx.db('users').where({ name: user.name }).update({ admin: 0 });
  const { usableAdmins } = await countUsers(ctx);
  const warnings =
    usableAdmins === 0 ? ['No usable server admin is left. Make one with `promote <user>` or `register <user> --admin`.'] : [];
  return result(user.name, [`${user.name}: admin 1 -> 0`], warnings);
}

export interface RegisterInput {
  userId: string;
  localpart: string;
  passwordHash: string;
  /** undefined: leave an existing user's flag alone (only with existsOk). */
  admin: boolean | undefined;
  displayname?: string;
  userType?: 'bot' | 'support';
  existsOk: boolean;
}

export async function register(ctx: UserContext, input: RegisterInput): Promise<OperationResult & { created: boolean }> {
  const existing = await findUser(ctx, input.userId);
  if (existing !== undefined) {
    if (existing.name !== input.userId) {
      throw new UserExistsError(
        input.userId,
        `Synapse treats user IDs case-insensitively and ${existing.name} is taken. Choose another name, or use ${existing.name}.`,
      );
    }
    if (!input.existsOk) {
      throw new UserExistsError(input.userId, 'Use `promote` or `set-password` on it, or pass --exists-ok.');
    }
    assertActiveAccount(existing, 'apply --exists-ok to', REACTIVATE_HINT);
    const changes: string[] = [];
    if (input.admin !== undefined && input.admin !== existing.admin) {
      await ctx.db('users').where({ name: existing.name }).update({ admin: input.admin ? 1 : 0 });
      changes.push(`${existing.name}: admin ${Number(existing.admin)} -> ${Number(input.admin)}`);
    }
    return { ...result(existing.name, changes, lockWarnings(existing)), created: false };
  }

  const { db, dialect, schema } = ctx;
  const userCols = schema.columns.users;
  const displayname = input.displayname ?? input.localpart;
  await db('users').insert({
    name: input.userId,
    password_hash: input.passwordHash,
    // Synapse stores creation_ts in seconds, unlike most of its timestamps.
    creation_ts: Math.floor(ctx.now() / 1000),
    is_guest: 0,
    appservice_id: null,
    admin: input.admin ? 1 : 0,
    ...(userCols.has('user_type') ? { user_type: input.userType ?? null } : {}),
    ...(userCols.has('shadow_banned') ? { shadow_banned: sqlBool(dialect, false) } : {}),
    // Like Synapse's admin registration API: an operator-made account needs no approval.
    ...(userCols.has('approved') ? { approved: sqlBool(dialect, true) } : {}),
  });
  await ensureProfile(ctx, input.userId, input.localpart, displayname);
  // Synapse leaves support users out of the directory: they are for diagnostics.
  if (input.userType !== 'support') {
    await addToUserDirectory(ctx, input.userId, input.localpart, { displayname, avatarUrl: null });
  }
  if (schema.columns.user_stats_current.size > 0) await addUserStats(ctx, input.userId);
  const what = [input.admin ? 'admin' : 'non-admin', input.userType].filter(Boolean).join(' ');
  return { ...result(input.userId, [`created ${what} user ${input.userId} (display name "${displayname}")`]), created: true };
}

/** Synapse's _update_stats_delta_txn for a brand-new user: a completed row at the current state-delta position. */
async function addUserStats(ctx: UserContext, userId: string): Promise<void> {
  const position = ctx.schema.columns.current_state_delta_stream.size > 0
    ? Number((await ctx.db('current_state_delta_stream').max({ m: 'stream_id' }).first())?.m ?? -1)
    : -1;
  await ctx
    .db('user_stats_current')
    .insert({ user_id: userId, joined_rooms: 0, completed_delta_stream_id: position })
    .onConflict('user_id')
    .merge(['completed_delta_stream_id']);
}

export interface SetPasswordOptions {
  logout: boolean;
  reactivate: boolean;
}

export async function setPassword(
  ctx: UserContext,
  userId: string,
  passwordHash: string,
  opts: SetPasswordOptions,
): Promise<OperationResult & { tokensRemoved: number; reactivated: boolean }> {
  const user = await requireUser(ctx, userId);
  const reactivating = user.deactivated && opts.reactivate;
  if (!reactivating) {
    assertActiveAccount(user, 'set the password of', 'Pass --reactivate to bring it back with the new password.');
  } else if (user.isGuest || user.appserviceId !== null) {
    assertActiveAccount({ ...user, deactivated: false }, 'reactivate', '');
  }
  const changes: string[] = [];
  if (reactivating) changes.push(...(await reactivate(ctx, user)));
  await ctx.db('users').where({ name: user.name }).update({ password_hash: passwordHash });
  changes.push(`${user.name}: new password hash`);
  let tokensRemoved = 0;
  if (opts.logout) {
    tokensRemoved = await ctx.db('access_tokens').where({ user_id: user.name }).delete();
    if (ctx.schema.columns.refresh_tokens.size > 0) await ctx.db('refresh_tokens').where({ user_id: user.name }).delete();
    changes.push(`${user.name}: ${tokensRemoved} access token(s) and its refresh tokens deleted`);
  }
  const warnings = opts.reactivate && !user.deactivated ? [`${user.name} was not deactivated; --reactivate had nothing to do.`] : [];
  return { ...result(user.name, changes, [...warnings, ...lockWarnings(user)]), tokensRemoved, reactivated: reactivating };
}

/** Synapse's DeactivateAccountHandler.activate_account, minus what needs a running server. */
async function reactivate(ctx: UserContext, user: UserRow): Promise<string[]> {
  const localpart = localpartOf(user.name);
  const changes: string[] = [];
  if (ctx.schema.columns.erased_users.size > 0) {
    const erased = await ctx.db('erased_users').where({ user_id: user.name }).delete();
    if (erased > 0) changes.push(`${user.name}: no longer marked as erased`);
  }
  if (await ensureProfile(ctx, user.name, localpart, null)) changes.push(`${user.name}: profile recreated`);
  await ctx.db('users').where({ name: user.name }).update({ deactivated: 0 });
  changes.push(`${user.name}: deactivated 1 -> 0`);
  if (user.userType !== 'support') {
    await addToUserDirectory(ctx, user.name, localpart, await readProfile(ctx, user.name, localpart));
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
  const warnings = user.deactivated ? [`${user.name} is deactivated; unlocking does not bring it back. ${REACTIVATE_HINT}`] : [];
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
  const rows = await selectUsers(ctx).where({ admin: 1 }).orderBy('name');
  return rows.map(toUserRow).map((u) => ({
    user_id: u.name,
    deactivated: u.deactivated,
    locked: u.locked,
    suspended: u.suspended,
    shadow_banned: u.shadowBanned,
    user_type: u.userType,
  }));
}
