// apply's backend on Synapse's own users table: the accounts a file names, read in a few
// set-based queries (never one per user), and the outcome written in slices inside the caller's
// one transaction.
import { LOOKUP_BATCH, INSERT_BATCH, slices } from '../database/batches.js';
import { AccountStateError } from '../errors.js';
import type { Account, CurrentState } from './plan.js';
import type { NewAccountSpec, Writes } from './outcome.js';
import { lockWarnings, reactivateHint } from '../synapse/messages.js';
import { createUsers } from '../synapse/user-operations.js';
import { assertActiveAccount, isUsable, selectUsers, toUserRow, type UserContext } from '../synapse/user-store.js';

function accountOf(row: Record<string, unknown>): Account {
  const user = toUserRow(row);
  let refusal: string | undefined;
  try {
    assertActiveAccount(user, 'apply a file to', reactivateHint(user.name));
  } catch (err) {
    if (!(err instanceof AccountStateError)) throw err;
    refusal = err.message.replace(/\.$/, '');
  }
  return {
    userId: user.name,
    admin: user.admin,
    usable: isUsable(user),
    ...(refusal === undefined ? {} : { refusal }),
    passwordHash: (row.password_hash as string | null) ?? null,
    warnings: lockWarnings(user),
  };
}

/**
 * The accounts of `userIds` and every current admin. Synapse treats user IDs case-insensitively,
 * so each is matched on lower(name), as findUser does: the exact spelling wins when old data holds
 * several. One query per LOOKUP_BATCH IDs.
 */
export async function readAccounts(ctx: UserContext, userIds: readonly string[]): Promise<CurrentState> {
  const byLower = new Map<string, Array<Record<string, unknown>>>();
  for (const slice of slices(userIds, LOOKUP_BATCH)) {
    const lowered = slice.map((id) => id.toLowerCase());
    const rows: Array<Record<string, unknown>> = await selectUsers(ctx)
      .select('password_hash')
      .whereRaw(`lower(name) IN (${lowered.map(() => '?').join(', ')})`, lowered);
    for (const row of rows) {
      const key = String(row.name).toLowerCase();
      byLower.set(key, [...(byLower.get(key) ?? []), row]);
    }
  }
  const accounts = new Map<string, Account>();
  const problems: CurrentState['problems'] = [];
  for (const id of userIds) {
    const rows = byLower.get(id.toLowerCase()) ?? [];
    const row = rows.find((r) => r.name === id) ?? (rows.length === 1 ? rows[0] : undefined);
    if (row !== undefined) accounts.set(id, accountOf(row));
    else if (rows.length > 1) {
      problems.push({
        message: `${id} matches several users that differ only in case (${rows.map((r) => r.name).join(', ')}): give the exact user ID`,
      });
    }
  }
  const admins = (await selectUsers(ctx).select('password_hash').where({ admin: 1 }).orderBy('name')).map(accountOf);
  return { accounts, admins, problems };
}

export interface NewUserRules {
  /** listedInUserDirectory for this server. */
  inDirectory(userId: string, userType: string | null): boolean;
  /** stats.enabled */
  stats: boolean;
}

/**
 * Writes apply's outcome; the caller's transaction holds it together. Concurrent copies of the
 * tool take turns here (serializeToolWriters), so the caller's re-read just before is current.
 * Returns the user IDs another writer created first (the caller refuses and rolls back).
 */
export async function writeApply(ctx: UserContext, writes: Writes, rules: NewUserRules): Promise<string[]> {
  const taken = await createUsers(
    ctx,
    writes.creates.map((c) => ({
      userId: c.userId,
      localpart: c.localpart,
      admin: c.admin,
      newUser: {
        passwordHash: withPassword(c).passwordHash,
        displayname: c.displayname,
        userType: c.userType,
        inDirectory: rules.inDirectory(c.userId, c.userType),
        stats: rules.stats,
      },
    })),
  );
  if (taken.length > 0) return taken;
  for (const admin of [true, false]) {
    const names = writes.adminFlags.filter((f) => f.admin === admin).map((f) => f.userId);
    for (const slice of slices(names, INSERT_BATCH)) await ctx.db('users').whereIn('name', slice).update({ admin: admin ? 1 : 0 });
  }
  // Each row its own hash: one UPDATE per user, found by the primary key.
  for (const p of writes.passwords) await ctx.db('users').where({ name: p.userId }).update({ password_hash: p.hash });
  return [];
}

/** Synapse's rules never let a new account go without a password (PlanRules.passwordOptional is unset). */
function withPassword(c: NewAccountSpec): NewAccountSpec & { passwordHash: string } {
  if (c.passwordHash === null) throw new Error(`no password hash for the new user ${c.userId}`);
  return c as NewAccountSpec & { passwordHash: string };
}
