// What a resolved plan changes, in two forms: the writes a backend makes, and the per-user report.
import { describeCreation } from '../synapse/user-operations.js';
import type { NewPassword } from './hashing.js';
import type { Account, Plan, PlanRules } from './plan.js';

export interface UserOutcome {
  user_id: string;
  action: 'create' | 'adopt' | 'update' | 'unchanged' | 'demote';
  changes: string[];
  /** random_password of a created user: shown once. */
  password?: string;
}

export interface NewAccountSpec {
  userId: string;
  localpart: string;
  admin: boolean;
  /** Null only where the backend allows accounts without one (PlanRules.passwordOptional). */
  passwordHash: string | null;
  displayname: string;
  userType: string | null;
}

/** Everything apply writes, for a backend's writer; `expected` is what the plan was made from. */
export interface Writes {
  creates: NewAccountSpec[];
  /** Users only Synapse has, adopted into MAS; passwordHash null: Synapse's hash is carried. */
  adopts: Array<{ userId: string; synapseUserId: string; admin: boolean; passwordHash: string | null }>;
  adminFlags: Array<{ userId: string; admin: boolean }>;
  passwords: Array<{ userId: string; hash: string }>;
  /** The accounts as read when planning: a writer checks they are still so before writing. */
  expected: Account[];
  /** The file's user IDs that did not exist when planning. */
  absent: string[];
}

const synapseAdminChange = (userId: string, from: boolean, to: boolean) => `${userId}: admin ${Number(from)} -> ${Number(to)}`;

/** `words`: how the backend says a change of the admin flag and a creation (PlanRules). */
export function outcomeOf(
  plan: Plan,
  hashes: ReadonlyMap<object, NewPassword>,
  words: Pick<PlanRules, 'adminChange' | 'creation'> = {},
): { users: UserOutcome[]; writes: Writes } {
  const adminChange = words.adminChange ?? synapseAdminChange;
  const writes: Writes = { creates: [], adopts: [], adminFlags: [], passwords: [], expected: [], absent: [] };
  const users: UserOutcome[] = [];
  for (const p of plan.users) {
    const hashed = hashes.get(p);
    if (p.adopt !== undefined) {
      writes.absent.push(p.user.userId);
      writes.adopts.push({ userId: p.user.userId, synapseUserId: p.adopt.userId, admin: p.admin, passwordHash: hashed?.hash ?? null });
      users.push({
        user_id: p.adopt.userId,
        action: 'adopt',
        changes: [
          `${p.adopt.userId}: adopted from Synapse${p.admin ? ' (may request admin)' : ''}, ${hashed === undefined ? 'its Synapse password carried (if it has one)' : 'with a new password'}, its emails, upstream links and devices`,
        ],
        ...(hashed?.generated === undefined ? {} : { password: hashed.generated }),
      });
      continue;
    }
    if (p.account === undefined) {
      if (hashed === undefined && p.user.password !== undefined) throw new Error(`no password hash for the new user ${p.user.userId}`);
      writes.absent.push(p.user.userId);
      writes.creates.push({ userId: p.user.userId, localpart: p.user.localpart, admin: p.admin, passwordHash: hashed?.hash ?? null, displayname: p.displayname, userType: p.userType });
      users.push({
        user_id: p.user.userId,
        action: 'create',
        changes: [words.creation?.(p.user.userId, p.admin, p.displayname) ?? describeCreation(p.user.userId, p.admin, p)],
        ...(hashed?.generated === undefined ? {} : { password: hashed.generated }),
      });
      continue;
    }
    const { account } = p;
    writes.expected.push(account);
    const changes: string[] = [];
    if (account.admin !== p.admin) {
      writes.adminFlags.push({ userId: account.userId, admin: p.admin });
      changes.push(adminChange(account.userId, account.admin, p.admin));
    }
    if (hashed !== undefined) {
      writes.passwords.push({ userId: account.userId, hash: hashed.hash });
      changes.push(`${account.userId}: new password hash`);
    }
    users.push({ user_id: account.userId, action: changes.length > 0 ? 'update' : 'unchanged', changes });
  }
  for (const a of plan.demotions) {
    writes.expected.push(a);
    writes.adminFlags.push({ userId: a.userId, admin: false });
    users.push({ user_id: a.userId, action: 'demote', changes: [`${adminChange(a.userId, true, false)} (not listed, admins: exclusive)`] });
  }
  return { users, writes };
}
