// Reading MAS's users the way MAS finds them, and the account-state rules its commands share.
import { AccountStateError, UsageError, UserNotFoundError } from '../errors.js';
import { deactivatedInMas, masUserNotFoundHint } from './messages.js';
import type { MasContext } from './session.js';
import { ulidOf } from './ids.js';

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
  const exact = rows.find((r) => r.username === localpart);
  if (rows.length > 1 && exact === undefined) {
    throw new UsageError(
      `"${localpart}" matches several MAS users that differ only in case (${rows.map((r) => String(r.username)).join(', ')}), ` +
        'and MAS itself finds none of them by this name. Give the exact username.',
    );
  }
  const row = exact ?? rows[0];
  return row === undefined ? undefined : toMasUser(row);
}

/** findMasUser, or UserNotFoundError naming the user and what to do. */
export async function requireMasUser(ctx: MasContext, localpart: string, opts: RequireOptions = {}): Promise<MasUser> {
  const user = await findMasUser(ctx, localpart);
  if (user !== undefined) return user;
  throw masUserNotFound(`@${localpart}:${ctx.serverName}`, localpart, await opts.inSynapse?.());
}

/** The not-found error, worded by where else the user is (Synapse's users table) or is not. */
export function masUserNotFound(userId: string, localpart: string, inSynapse: boolean | undefined): UserNotFoundError {
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
