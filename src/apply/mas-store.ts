// apply's backend on MAS's users: the accounts a file names, read in a few set-based queries
// (never one per user), and the outcome written inside the caller's one MAS transaction.
import { INSERT_BATCH, LOOKUP_BATCH, slices } from '../database/batches.js';
import { AccountStateError } from '../errors.js';
import type { Account, CurrentState } from './plan.js';
import type { Writes } from './outcome.js';
import { usableMasAdmins } from '../mas/admin-operations.js';
import { newMasId, ulidOf } from '../mas/ids.js';
import { scheduleJob } from '../mas/jobs.js';
import { lockedInMas } from '../mas/messages.js';
import type { MasContext } from '../mas/session.js';
import { assertActiveMasUser, isUsable, selectMasUsers, toMasUser, type MasUser } from '../mas/user-store.js';

/** What apply compares: the account, and the version of its current password row. */
export interface MasAccounts extends CurrentState {
  /** Stored hash -> the scheme version of its row (a hash is one user's: its salt is random). */
  versions: Map<string, number>;
}

function accountOf(user: MasUser, password: { hash: string; version: number } | undefined, serverName: string): Account {
  let refusal: string | undefined;
  try {
    assertActiveMasUser(user, 'apply a file to');
  } catch (err) {
    if (!(err instanceof AccountStateError)) throw err;
    refusal = err.message.replace(/\.$/, '');
  }
  return {
    userId: `@${user.username}:${serverName}`,
    admin: user.canRequestAdmin,
    usable: isUsable(user),
    ...(refusal === undefined ? {} : { refusal }),
    passwordHash: password?.hash ?? null,
    warnings: user.lockedAt === null ? [] : [lockedInMas(user.username)],
  };
}

/** The current password row of each user: MAS's `active` is the newest by created_at. */
async function currentPasswords(ctx: MasContext, userIds: readonly string[]): Promise<Map<string, { hash: string; version: number }>> {
  const out = new Map<string, { hash: string; version: number }>();
  for (const slice of slices(userIds, LOOKUP_BATCH)) {
    const rows: Array<{ user_id: string; hashed_password: string; version: number }> = await ctx
      .db('user_passwords')
      .distinctOn('user_id')
      .select('user_id', 'hashed_password', 'version')
      .whereIn('user_id', slice)
      .orderBy([{ column: 'user_id' }, { column: 'created_at', order: 'desc' }, { column: 'user_password_id', order: 'desc' }]);
    for (const r of rows) out.set(r.user_id, { hash: r.hashed_password, version: r.version });
  }
  return out;
}

/**
 * The MAS accounts of `localparts` (keyed by the file's user IDs) and every can_request_admin user.
 * Matched as MAS's find_by_username does: LOWER(username), the exact spelling preferred, and none
 * found (here: a problem) when several differ only in case and none is exact.
 */
export async function readMasAccounts(ctx: MasContext, userIds: readonly string[], localpartOf: (userId: string) => string): Promise<MasAccounts> {
  const byLower = new Map<string, MasUser[]>();
  for (const slice of slices(userIds.map(localpartOf), LOOKUP_BATCH)) {
    const lowered = slice.map((l) => l.toLowerCase());
    const rows: Array<Record<string, unknown>> = await selectMasUsers(ctx).whereRaw(`LOWER(username) IN (${lowered.map(() => '?').join(', ')})`, lowered);
    for (const row of rows) {
      const user = toMasUser(row);
      const key = user.username.toLowerCase();
      byLower.set(key, [...(byLower.get(key) ?? []), user]);
    }
  }
  const admins = (await selectMasUsers(ctx).where({ can_request_admin: true }).orderBy('username')).map(toMasUser);
  const found = new Map<string, MasUser>();
  const problems: CurrentState['problems'] = [];
  for (const id of userIds) {
    const localpart = localpartOf(id);
    const users = byLower.get(localpart.toLowerCase()) ?? [];
    const user = users.find((u) => u.username === localpart) ?? (users.length === 1 ? users[0] : undefined);
    if (user !== undefined) found.set(id, user);
    else if (users.length > 1) {
      problems.push({
        message: `${id} matches several MAS users that differ only in case (${users.map((u) => u.username).join(', ')}), and MAS finds none of them by this name: give the exact username`,
      });
    }
  }
  const passwords = await currentPasswords(ctx, [...new Set([...found.values(), ...admins].map((u) => u.id))]);
  const accounts = new Map([...found].map(([id, user]) => [id, accountOf(user, passwords.get(user.id), ctx.serverName)]));
  const versions = new Map([...passwords.values()].map((p) => [p.hash, p.version]));
  const keptAdmins = (await usableMasAdmins(ctx)).filter((u) => ctx.config.adminUsers.includes(u.username)).map((u) => `@${u.username}:${ctx.serverName}`);
  return { accounts, admins: admins.map((u) => accountOf(u, passwords.get(u.id), ctx.serverName)), keptAdmins, problems, versions };
}

export interface MasWriteRules {
  localpartOf(userId: string): string;
  /** The scheme version a hash is stored with. */
  versionOf(hash: string): number;
  /** provision-user's set_display_name for a new user. */
  displayName(create: Writes['creates'][number]): string | null;
}

/**
 * Writes apply's outcome in MAS as MAS's own registration and `set-password` would: users rows
 * (ULID ids made now), user_passwords rows (new rows; MAS keeps the old ones), can_request_admin,
 * and one provision-user job per new user so MAS's worker makes its Synapse account. Returns the
 * user IDs another writer created first (the caller refuses and rolls back).
 */
export async function writeMasApply(ctx: MasContext, writes: Writes, rules: MasWriteRules): Promise<string[]> {
  const now = ctx.now();
  const createdAt = new Date(now);
  const taken: string[] = [];
  const newIds = new Map<string, string>();
  for (const slice of slices(writes.creates, INSERT_BATCH)) {
    const rows = slice.map((c) => ({ user_id: newMasId(now), username: c.localpart, created_at: createdAt, can_request_admin: c.admin }));
    // DO NOTHING, as MAS does: a racer's row makes this one come back missing, not abort.
    const inserted: Array<{ user_id: string; username: string }> = await ctx.db('users').insert(rows).onConflict('username').ignore().returning(['user_id', 'username']);
    const made = new Set(inserted.map((r) => r.username));
    for (const r of inserted) newIds.set(r.username, r.user_id);
    taken.push(...slice.filter((c) => !made.has(c.localpart)).map((c) => c.userId));
  }
  if (taken.length > 0) return taken;
  const passwordRows = writes.creates.flatMap((c) =>
    c.passwordHash === null ? [] : [{ userId: newIds.get(c.localpart)!, hash: c.passwordHash }],
  );
  const existing = await idsOf(ctx, [...writes.adminFlags, ...writes.passwords].map((w) => rules.localpartOf(w.userId)));
  for (const p of writes.passwords) passwordRows.push({ userId: existing.get(rules.localpartOf(p.userId))!, hash: p.hash });
  for (const slice of slices(passwordRows, INSERT_BATCH)) {
    await ctx.db('user_passwords').insert(
      slice.map((p) => ({
        user_password_id: newMasId(now),
        user_id: p.userId,
        hashed_password: p.hash,
        version: rules.versionOf(p.hash),
        created_at: createdAt,
        upgraded_from_id: null,
      })),
    );
  }
  for (const admin of [true, false]) {
    const ids = writes.adminFlags.filter((f) => f.admin === admin).map((f) => existing.get(rules.localpartOf(f.userId))!);
    for (const slice of slices(ids, INSERT_BATCH)) await ctx.db('users').whereIn('user_id', slice).update({ can_request_admin: admin });
  }
  // One job per new user, as MAS's registration schedules it.
  for (const c of writes.creates) {
    const userId = newIds.get(c.localpart)!;
    await scheduleJob(ctx, { queue: 'provision-user', payload: { user_id: ulidOf(userId), set_display_name: rules.displayName(c) } });
  }
  return [];
}

/** users.user_id by exact username (the names as read when planning, i.e. as stored). */
async function idsOf(ctx: MasContext, usernames: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const slice of slices([...new Set(usernames)], LOOKUP_BATCH)) {
    const rows: Array<{ user_id: string; username: string }> = await ctx.db('users').select('user_id', 'username').whereIn('username', slice);
    for (const r of rows) out.set(r.username, r.user_id);
  }
  return out;
}
