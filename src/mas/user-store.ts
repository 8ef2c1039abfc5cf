// MAS's users and their passwords: reading users the way MAS finds them, the statements that write
// them (one function each, taking as many users as apply needs), and the account-state rules its
// commands share.
import { INSERT_BATCH, slices } from '../database/batches.js';
import { chooseSpelling } from '../database/case-insensitive.js';
import { AccountStateError, UsageError, UserNotFoundError } from '../errors.js';
import { deactivatedInMas, masUserNotFoundHint } from './messages.js';
import type { MasContext } from './session.js';
import { newMasId, ulidOf } from './ids.js';

export interface MasUser {
  /** users.user_id as stored (uuid). */
  id: string;
  /** The same id as a ULID: what job payloads carry. */
  ulid: string;
  username: string;
  createdAt: Date;
  lockedAt: Date | null;
  /** Always null on MAS versions without the column. */
  deactivatedAt: Date | null;
  canRequestAdmin: boolean;
  isGuest: boolean;
}

export interface RequireOptions {
  /**
   * Whether Synapse's users table has this user, asked only when MAS has none: the answer decides
   * what to do next. The caller owns Synapse's database; undefined when it cannot tell.
   */
  inSynapse?: () => Promise<boolean | undefined>;
}

/** A users query with the columns this MAS version has. */
export function selectMasUsers(ctx: MasContext) {
  const { has } = ctx.schema;
  return ctx
    .db('users')
    .select([
      'user_id',
      'username',
      'created_at',
      'locked_at',
      'can_request_admin',
      ...(has.deactivatedAt ? ['deactivated_at'] : []),
      ...(has.isGuest ? ['is_guest'] : []),
    ]);
}

/**
 * The users MAS lets request admin rights, by username: can_request_admin, or named in
 * policy.data.admin_users (which no write here changes). list-admins, every "no usable admin left"
 * check on MAS and apply read them here.
 */
export function selectMasAdmins(ctx: MasContext) {
  return selectMasUsers(ctx)
    .where((q) => q.where({ can_request_admin: true }).orWhereIn('username', ctx.config.adminUsers))
    .orderBy('username');
}

export interface NewMasUser {
  username: string;
  admin: boolean;
  /** When the account began, if not now (adopt: Synapse's creation_ts); its ULID is made at that time. */
  createdAt?: number;
  /** An existing account's state carried over (adopt); MAS's column defaults otherwise. */
  state?: { locked_at?: Date | null; deactivated_at?: Date | null; is_guest?: boolean };
}

/**
 * New users rows, as MAS's registration writes them (ULID ids made at `now`), a slice per
 * statement: register, apply and adopt. Returns username -> user_id of the rows inserted. DO NOTHING, as
 * MAS does: a racer with the same name makes the INSERT wait for its commit and then come back
 * without that row, rather than abort the transaction.
 */
export async function insertMasUsers(
  ctx: MasContext,
  users: readonly NewMasUser[],
  now: number,
): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const slice of slices(users, INSERT_BATCH)) {
    const rows = slice.map((u) => {
      const at = u.createdAt ?? now;
      return { user_id: newMasId(at), username: u.username, created_at: new Date(at), can_request_admin: u.admin, ...u.state };
    });
    const inserted: Array<{ user_id: string; username: string }> = await ctx
      .db('users')
      .insert(rows)
      .onConflict('username')
      .ignore()
      .returning(['user_id', 'username']);
    for (const r of inserted) ids.set(r.username, r.user_id);
  }
  return ids;
}

/**
 * New user_passwords rows made at `now` (or a row's own `createdAt`: adopt dates Synapse's hash at
 * the account's creation, as syn2mas does), a slice per statement: register, set-password, apply, adopt.
 * MAS keeps a user's old rows; the newest one is the password.
 */
export async function insertMasPasswords(
  ctx: MasContext,
  passwords: ReadonlyArray<{ userId: string; hash: string; version: number; createdAt?: number }>,
  now: number,
): Promise<void> {
  for (const slice of slices(passwords, INSERT_BATCH)) {
    await ctx.db('user_passwords').insert(
      slice.map((p) => ({
        user_password_id: newMasId(p.createdAt ?? now),
        user_id: p.userId,
        hashed_password: p.hash,
        version: p.version,
        created_at: new Date(p.createdAt ?? now),
        upgraded_from_id: null,
      })),
    );
  }
}

/** users.can_request_admin, a slice of users (by user_id) per statement: promote, demote, register --exists-ok and apply. */
export async function updateCanRequestAdmin(ctx: MasContext, userIds: readonly string[], admin: boolean): Promise<void> {
  for (const slice of slices(userIds, INSERT_BATCH)) await ctx.db('users').whereIn('user_id', slice).update({ can_request_admin: admin });
}

export function toMasUser(row: Record<string, unknown>): MasUser {
  const id = String(row.user_id);
  return {
    id,
    ulid: ulidOf(id),
    username: String(row.username),
    createdAt: row.created_at as Date,
    lockedAt: (row.locked_at as Date | null) ?? null,
    deactivatedAt: (row.deactivated_at as Date | null | undefined) ?? null,
    canRequestAdmin: row.can_request_admin === true,
    isGuest: row.is_guest === true,
  };
}

/**
 * MAS's own lookup (find_by_username): LOWER(username) = LOWER($1), the exact-case row preferred.
 * Where several rows differ only in case and none is exact, MAS finds none; we say so instead.
 */
export async function findMasUser(ctx: MasContext, localpart: string): Promise<MasUser | undefined> {
  const rows: Array<Record<string, unknown>> = await selectMasUsers(ctx).whereRaw('LOWER(username) = LOWER(?)', [localpart]);
  const { row, ambiguous } = chooseSpelling(localpart, rows, (r) => String(r.username));
  if (ambiguous) {
    throw new UsageError(
      `"${localpart}" matches several MAS users that differ only in case (${rows.map((r) => String(r.username)).join(', ')}), ` +
        'and MAS itself finds none of them by this name. Give the exact username.',
    );
  }
  return row === undefined ? undefined : toMasUser(row);
}

/** findMasUser, or UserNotFoundError naming the user and what to do. */
export async function requireMasUser(ctx: MasContext, localpart: string, opts: RequireOptions = {}): Promise<MasUser> {
  const user = await findMasUser(ctx, localpart);
  if (user !== undefined) return user;
  throw masUserNotFound(`@${localpart}:${ctx.serverName}`, localpart, await opts.inSynapse?.());
}

/** The not-found error, worded by where else the user is (Synapse's users table) or is not. */
function masUserNotFound(userId: string, localpart: string, inSynapse: boolean | undefined): UserNotFoundError {
  return new UserNotFoundError(userId, masUserNotFoundHint(userId, localpart, inSynapse));
}

/** Refuses what the action cannot apply to: a deactivated account, or a guest. */
export function assertActiveMasUser(user: MasUser, action: string): void {
  if (user.deactivatedAt !== null) {
    throw new AccountStateError(deactivatedInMas(action, user.username));
  }
  if (user.isGuest) {
    throw new AccountStateError(
      `Cannot ${action} ${user.username}: it is a guest account in MAS. Register a full account with \`register\` instead.`,
    );
  }
}

/** A user that can act in MAS: not locked, deactivated or a guest. */
export function isUsable(user: MasUser): boolean {
  return user.lockedAt === null && user.deactivatedAt === null && !user.isGuest;
}
