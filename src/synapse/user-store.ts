// Synapse's users table: reading users the way Synapse does, the statements that change them (one
// function each, taking as many users as apply needs), and the account-state rules every command shares.
import type { Knex } from 'knex';
import { INSERT_BATCH, slices } from '../database/batches.js';
import { chooseSpelling } from '../database/case-insensitive.js';
import { readBool, type Dialect } from '../database/dialect.js';
import { AccountStateError, UsageError, UserNotFoundError } from '../errors.js';
import { deactivatedInSynapse, NO_ADMIN_LEFT, userNotFoundHint } from './messages.js';
import type { SchemaInfo } from './schema.js';
import { isHelperName } from './live-helper-name.js';

/** What an operation needs; passed in, never global. */
export interface UserContext {
  db: Knex;
  dialect: Dialect;
  schema: SchemaInfo;
  serverName: string;
  /** Milliseconds since the epoch. */
  now: () => number;
}

export interface UserRow {
  name: string;
  admin: boolean;
  deactivated: boolean;
  isGuest: boolean;
  appserviceId: string | null;
  userType: string | null;
  locked: boolean;
  suspended: boolean;
  shadowBanned: boolean;
}

const OPTIONAL_FLAGS = ['locked', 'suspended', 'shadow_banned'] as const;

/**
 * Synapse treats user IDs as unique regardless of case (it checks lower(name) before registering),
 * so a lookup does too; the exact spelling wins when old data holds several.
 */
export async function findUser(ctx: UserContext, userId: string): Promise<UserRow | undefined> {
  const rows: Array<Record<string, unknown>> = await selectUsers(ctx).whereRaw('lower(name) = lower(?)', [userId]);
  const { row, ambiguous } = chooseSpelling(userId, rows, (r) => String(r.name));
  if (ambiguous) {
    throw new UsageError(
      `${userId} matches several users that differ only in case (${rows.map((r) => r.name).join(', ')}). Give the exact user ID.`,
    );
  }
  return row === undefined ? undefined : toUserRow(row);
}

/** A users query with the columns this schema version has. */
export function selectUsers(ctx: UserContext) {
  const cols = ctx.schema.columns.users;
  return ctx
    .db('users')
    .select([
      'name',
      'admin',
      'deactivated',
      'is_guest',
      'appservice_id',
      ...(cols.has('user_type') ? ['user_type'] : []),
      ...OPTIONAL_FLAGS.filter((c) => cols.has(c)),
    ]);
}

/** Every admin, by name: what list-admins, check, the warning after a demotion and apply read. */
export function selectAdmins(ctx: UserContext) {
  return selectUsers(ctx).where({ admin: 1 }).orderBy('name');
}

/** users.admin, a slice of users per statement: promote, demote, register --exists-ok and apply. */
export async function updateAdmin(ctx: UserContext, names: readonly string[], admin: boolean): Promise<void> {
  for (const slice of slices(names, INSERT_BATCH)) await ctx.db('users').whereIn('name', slice).update({ admin: admin ? 1 : 0 });
}

/** users.password_hash: set-password and apply. Each row its own hash: one UPDATE per user, found by the primary key. */
export async function updatePasswordHashes(ctx: UserContext, rows: ReadonlyArray<{ name: string; hash: string }>): Promise<void> {
  for (const r of rows) await ctx.db('users').where({ name: r.name }).update({ password_hash: r.hash });
}

export function toUserRow(row: Record<string, unknown>): UserRow {
  return {
    name: String(row.name),
    admin: readBool(row.admin),
    deactivated: readBool(row.deactivated),
    isGuest: readBool(row.is_guest),
    appserviceId: (row.appservice_id as string | null) ?? null,
    userType: (row.user_type as string | null | undefined) ?? null,
    locked: readBool(row.locked),
    suspended: readBool(row.suspended),
    shadowBanned: readBool(row.shadow_banned),
  };
}

export async function requireUser(ctx: UserContext, userId: string): Promise<UserRow> {
  const user = await findUser(ctx, userId);
  if (user === undefined) throw new UserNotFoundError(userId, userNotFoundHint(userId));
  return user;
}

/** Refuses accounts whose state makes the action meaningless or unsafe. */
export function assertActiveAccount(user: UserRow, action: string, deactivatedHint: string): void {
  if (user.deactivated) {
    throw new AccountStateError(deactivatedInSynapse(action, user.name, deactivatedHint));
  }
  if (user.isGuest) {
    throw new AccountStateError(
      `Cannot ${action} ${user.name}: it is a guest account. Register a full account with \`register\` instead.`,
    );
  }
  if (user.appserviceId !== null) {
    throw new AccountStateError(
      `Cannot ${action} ${user.name}: it belongs to the application service "${user.appserviceId}", which manages it. Use another account.`,
    );
  }
}

export function localpartOf(userId: string): string {
  return userId.slice(1, userId.indexOf(':'));
}

export interface UserCounts {
  users: number;
  admins: number;
  /** Admins that can act: not deactivated or locked (a suspended admin can still use the Admin API). */
  usableAdmins: number;
  /** Admins that cannot act (deactivated or locked), by name: the ones to repair when no admin can. */
  unusableAdmins: UserRow[];
}

/**
 * Whether an account can act: not deactivated or locked (a suspended admin can still use the Admin
 * API). `check`, the warnings after a demotion and apply's no-admin rule all count by this.
 */
export function isUsable(user: Pick<UserRow, 'deactivated' | 'locked'>): boolean {
  return !user.deactivated && !user.locked;
}

/**
 * The warning for a change that took admin away: the same words whichever command did it
 * (`demote`, `register --exists-ok --no-admin`). Call it after the change, in its transaction.
 */
export async function noAdminLeftWarnings(ctx: UserContext): Promise<string[]> {
  const { usableAdmins } = await countUsers(ctx);
  return usableAdmins === 0 ? [NO_ADMIN_LEFT] : [];
}

export async function countUsers(ctx: UserContext): Promise<UserCounts> {
  const all = await ctx.db('users').where({ is_guest: 0 }).count({ n: '*' }).first();
  const admins = (await selectAdmins(ctx)).map(toUserRow);
  return {
    users: Number(all?.n ?? 0),
    admins: admins.length,
    // A --live helper holds a password nobody knows: it is no admin anyone can act as.
    usableAdmins: admins.filter((a) => isUsable(a) && !isHelperName(a.name)).length,
    unusableAdmins: admins.filter((a) => !isUsable(a)),
  };
}

/**
 * The server a database's users belong to, read as Synapse's check_database_before_upgrade reads
 * it (the first users row; the domain is what follows the first ':'); undefined when it has none.
 */
export async function serverOfUsers(db: Knex): Promise<{ userId: string; serverName: string } | undefined> {
  const row = await db('users').first('name');
  if (row === undefined) return undefined;
  const userId = String(row.name);
  return { userId, serverName: userId.includes(':') ? userId.slice(userId.indexOf(':') + 1) : '' };
}
