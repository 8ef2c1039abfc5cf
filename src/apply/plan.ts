// From the declared state and the accounts a backend found, what apply will do to each user. The
// plan knows no database and no hash format: a backend (Synapse's users table, MAS) reads the
// accounts, checks and makes hashes, and writes the outcome (see ApplyBackend in backend.ts).
import type { DesiredState, DesiredUser, Problem } from './file.js';

/** An existing account as every backend describes it. */
export interface Account {
  /** As stored: it may differ in case from the file's spelling (a legacy @Alice). */
  userId: string;
  admin: boolean;
  /** Can act as an admin: not deactivated, not locked. */
  usable: boolean;
  /** Why apply may not manage this account (deactivated, guest, app service), when it may not. */
  refusal?: string;
  passwordHash: string | null;
  /** Said about the account whatever apply does (locked, suspended). */
  warnings: string[];
}

export interface CurrentState {
  /** The file's users that exist, keyed by the file's user ID. */
  accounts: Map<string, Account>;
  /** Every account that is an admin now. */
  admins: Account[];
  /**
   * User IDs that stay usable admins whatever apply writes, because the server's config makes
   * them admins (MAS's policy.data.admin_users); they count in the "no usable admin left" check.
   */
  keptAdmins?: string[];
  /** Lookups that cannot be settled, e.g. several accounts that differ only in case. */
  problems: Problem[];
  /** The file's users that only Synapse has, on MAS: adopted with adopt: true, refused otherwise. */
  synapseOnly?: Map<string, SynapseOnlyAccount>;
}

/** A user Synapse has and MAS has not, as MAS's backend sees it. */
export interface SynapseOnlyAccount {
  /** As stored in Synapse. */
  userId: string;
  /** Synapse's admin flag: can_request_admin when the file leaves admin out. */
  admin: boolean;
  usable: boolean;
  /** Why it is refused without adopt: true. */
  notAdopted: string;
  /** Why it cannot be adopted at all (an app service's user), when it cannot. */
  adoptRefusal?: string;
  /** Why its Synapse password cannot be carried (no MAS scheme for it): the file must give one. */
  carryProblem?: string;
}

/** The server's rules for new accounts and passwords. */
export interface PlanRules {
  /** Why a new account may not have this localpart, if it may not. */
  newLocalpartProblem(localpart: string): string | undefined;
  /** How a password breaks the server's policy (empty: it passes, or the policy is ignored). */
  policyProblems(password: string): string[];
  /** The setting policyProblems enforces, for messages (password_config.policy, or MAS's). */
  policyName: string;
  defaultUserType: string | null;
  /** How a change of the admin flag reads (default: Synapse's `admin 0 -> 1`). */
  adminChange?: (userId: string, from: boolean, to: boolean) => string;
  /** How a new account reads (default: Synapse's `created admin user ...`). */
  creation?: (userId: string, admin: boolean, displayname: string) => string;
  /** New accounts may have no password (MAS with passwords off: logins through an upstream provider). */
  passwordOptional?: boolean;
}

/** What happens to one user's password. */
export type PasswordStep =
  | { kind: 'keep' }
  /** Hash this password (a new user's, or a mismatch found by `check`). */
  | { kind: 'hash'; password: string; generated: boolean }
  /** Write this ready hash (password_hash). */
  | { kind: 'write'; hash: string }
  /** update_password: always with a password file: compare with the stored hash, rehash when it differs. */
  | { kind: 'check'; password: string; stored: string | null };

export interface PlannedUser {
  user: DesiredUser;
  /** Undefined: the account is created (or adopted). */
  account?: Account;
  /** Set: the user only Synapse has is adopted into MAS. */
  adopt?: SynapseOnlyAccount;
  /** admin after apply. */
  admin: boolean;
  password: PasswordStep;
  displayname: string;
  userType: string | null;
}

export interface Plan {
  users: PlannedUser[];
  /** Admins that admins: exclusive demotes (not in the file). */
  demotions: Account[];
  warnings: string[];
  /** A plan that takes admin away and leaves no usable admin: refused. */
  leavesNoAdmin: boolean;
}

export function makePlan(
  state: DesiredState,
  current: CurrentState,
  rules: PlanRules,
  passwords: ReadonlyMap<string, string>,
): { plan: Plan; problems: Problem[] } {
  const problems: Problem[] = [...current.problems];
  const users: PlannedUser[] = [];
  const warnings: string[] = [];
  for (const user of state.users) {
    const account = current.accounts.get(user.userId);
    if (account?.refusal !== undefined) {
      problems.push({ line: user.line, message: account.refusal });
      continue;
    }
    const synapseOnly = account === undefined ? current.synapseOnly?.get(user.userId) : undefined;
    if (synapseOnly !== undefined) {
      const refusal = user.adopt ? synapseOnly.adoptRefusal ?? (user.password === undefined ? synapseOnly.carryProblem : undefined) : synapseOnly.notAdopted;
      if (refusal !== undefined) {
        problems.push({ line: user.line, message: refusal.replace(/\.$/, '') });
        continue;
      }
      users.push({
        user,
        adopt: synapseOnly,
        admin: user.admin ?? (state.exclusiveAdmins ? false : synapseOnly.admin),
        // No password given: Synapse's hash is carried.
        password: passwordStep(user, undefined, state, passwords),
        displayname: user.displayname ?? user.localpart,
        userType: null,
      });
      continue;
    }
    if (account === undefined) {
      const bad = rules.newLocalpartProblem(user.localpart);
      if (bad !== undefined) problems.push({ line: user.line, message: bad.replace(/\.$/, '') });
      if (user.password === undefined && rules.passwordOptional !== true) {
        problems.push({
          line: user.line,
          message: `${user.userId} does not exist yet and has no password: give password_file, password_hash or random_password: true`,
        });
      }
    }
    const password = passwordStep(user, account, state, passwords);
    if (password.kind === 'hash' && !password.generated) {
      const broken = rules.policyProblems(password.password);
      if (broken.length > 0) {
        problems.push({ line: user.line, message: `the password of ${user.userId} does not meet ${rules.policyName}: ${broken.join('; ')} (or pass --ignore-policy)` });
      }
    }
    if (account !== undefined) warnings.push(...account.warnings);
    users.push({
      user,
      account,
      // Omitted admin: a new user is not one; an existing one stays as it is, unless the file
      // declares the whole set of admins.
      admin: user.admin ?? (account === undefined || state.exclusiveAdmins ? false : account.admin),
      password,
      displayname: user.displayname ?? user.localpart,
      userType: user.userType === undefined ? rules.defaultUserType : user.userType,
    });
  }
  const listed = new Set(users.flatMap((u) => (u.account ? [u.account.userId] : [])));
  const demotions = state.exclusiveAdmins ? current.admins.filter((a) => !listed.has(a.userId)) : [];
  // Under `exclusive`, every admin the file does not list is demoted.
  const usableAfter = new Set([
    ...(state.exclusiveAdmins ? [] : current.admins.filter((a) => a.usable && !listed.has(a.userId)).map((a) => a.userId)),
    ...users.filter((u) => u.admin && (u.adopt?.usable ?? u.account?.usable ?? true)).map((u) => u.account?.userId ?? u.adopt?.userId ?? u.user.userId),
    ...(current.keptAdmins ?? []),
  ]).size;
  const takesAdminAway = demotions.length > 0 || users.some((u) => u.account?.admin && !u.admin);
  if (usableAfter === 0 && !takesAdminAway && state.users.length > 0) {
    warnings.push('The server has no usable admin, and this file makes none: give one user admin: true.');
  }
  return { plan: { users, demotions, warnings, leavesNoAdmin: usableAfter === 0 && takesAdminAway }, problems };
}

function passwordStep(
  user: DesiredUser,
  account: { passwordHash: string | null } | undefined,
  state: DesiredState,
  passwords: ReadonlyMap<string, string>,
): PasswordStep {
  const spec = user.password;
  // random_password sets a password only on creation: "always" cannot hold for a random one.
  if (spec === undefined || (account !== undefined && (state.updatePassword === 'on_create' || spec.kind === 'random'))) {
    return { kind: 'keep' };
  }
  switch (spec.kind) {
    case 'random':
      return { kind: 'hash', password: '', generated: true };
    case 'hash':
      return account?.passwordHash === spec.hash ? { kind: 'keep' } : { kind: 'write', hash: spec.hash };
    case 'file': {
      const password = passwords.get(user.userId) ?? '';
      return account === undefined ? { kind: 'hash', password, generated: false } : { kind: 'check', password, stored: account.passwordHash };
    }
  }
}
