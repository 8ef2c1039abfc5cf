// apply's backend on Synapse's own users table: the accounts a file names, read in a few
// set-based queries (never one per user), and the outcome written in slices inside the caller's
// one transaction.
import { chooseSpelling, rowsMatchingLower } from '../database/case-insensitive.js';
import { AccountStateError } from '../errors.js';
import type { Account, CurrentState } from './plan.js';
import type { NewAccountSpec, Writes } from './outcome.js';
import { lockWarnings, reactivateHint } from '../synapse/messages.js';
import { createUsers } from '../synapse/user-operations.js';
import {
  assertActiveAccount,
  isUsable,
  selectAdmins,
  selectUsers,
  toUserRow,
  updateAdmin,
  updatePasswordHashes,
  type UserContext,
} from '../synapse/user-store.js';

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
 * so each is matched on lower(name) = lower(<ID>) in the database, as findUser does: the exact
 * spelling wins when old data holds several. One query per LOOKUP_BATCH IDs.
 */
export async function readAccounts(ctx: UserContext, userIds: readonly string[]): Promise<CurrentState> {
  const matches = await rowsMatchingLower<Record<string, unknown>>(ctx.db, () => selectUsers(ctx).select('password_hash'), 'name', userIds);
  const accounts = new Map<string, Account>();
  const problems: CurrentState['problems'] = [];
  for (const id of userIds) {
    const rows = matches.get(id) ?? [];
    const { row, ambiguous } = chooseSpelling(id, rows, (r) => String(r.name));
    if (row !== undefined) accounts.set(id, accountOf(row));
    else if (ambiguous) {
      problems.push({
        message: `${id} matches several users that differ only in case (${rows.map((r) => r.name).join(', ')}): give the exact user ID`,
      });
    }
  }
  const admins = (await selectAdmins(ctx).select('password_hash')).map(accountOf);
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
    await updateAdmin(ctx, writes.adminFlags.filter((f) => f.admin === admin).map((f) => f.userId), admin);
  }
  await updatePasswordHashes(ctx, writes.passwords.map((p) => ({ name: p.userId, hash: p.hash })));
  return [];
}

/** Synapse's rules never let a new account go without a password (PlanRules.passwordOptional is unset). */
function withPassword(c: NewAccountSpec): NewAccountSpec & { passwordHash: string } {
  if (c.passwordHash === null) throw new Error(`no password hash for the new user ${c.userId}`);
  return c as NewAccountSpec & { passwordHash: string };
}
