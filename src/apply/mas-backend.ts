// apply on a server whose logins belong to matrix-authentication-service: MAS's username and
// password rules, its password schemes, and its database through the command's MAS sessions.
// Synapse's database is only read, for names it has that MAS has not.
import type { AppServiceUsers } from '../config/appservice.js';
import type { SynapseConfig } from '../config/types.js';
import { ConfigError, ToolError } from '../errors.js';
import type { ApplyBackend } from './backend.js';
import type { Plan } from './plan.js';
import { generatePassword } from '../passwords/input.js';
import { masPasswordsForNewPassword } from '../passwords/new-password.js';
import type { MasPrepared } from '../mas/session.js';
import { readAccounts } from './synapse-store.js';
import { reservedUserIds, type SynapseSessions } from './synapse-backend.js';
import { costFlaw, loginCostLimit } from '../synapse/bcrypt-hash.js';
import { localpartOf } from '../synapse/user-store.js';
import { serializeToolWriters } from '../database/dialect.js';
import { heldAdminSessions, mayRequestAdminChange } from '../mas/admin-operations.js';
import { readMasAccounts, writeMasApply } from './mas-store.js';
import type { MasConfig, MasPasswordScheme, MasPasswords } from '../mas/config.js';
import { inPolicyAdminUsers, USER_TYPE_KEY_REFUSED } from '../mas/messages.js';
import { currentScheme, hashMasPassword, masHashAlgorithm, passwordScore, verifyMasPassword } from '../mas/password.js';
import { createdMasUser, takenInSynapseError, validateMasUsername } from '../mas/register.js';
import type { MasContext } from '../mas/session.js';
import { findMasUser } from '../mas/user-store.js';
import { readSynapseAccounts, type SynapseAccount } from '../mas/adopt-source.js';
import { adoptUser, carriedPassword, checkAdoptable } from '../mas/adopt.js';

/** `key: message` when `check` throws a ToolError (a refusal), nothing when it passes. */
function problemOf<K extends string>(key: K, check: () => unknown): Partial<Record<K, string>> {
  try {
    check();
    return {};
  } catch (err) {
    if (!(err instanceof ToolError)) throw err;
    return { [key]: err.message } as Partial<Record<K, string>>;
  }
}

/** Why MAS takes no passwords from this run (none configured, or turned off), if it takes none. */
function passwordsRefusal(prepared: MasPrepared): string | undefined {
  try {
    masPasswordsForNewPassword(prepared.config);
    return undefined;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.message.replace(/\.$/, '');
  }
}

/** The newest scheme of the algorithm that made `hash`: the one MAS would check it with. */
function schemeFor(passwords: MasPasswords, hash: string): MasPasswordScheme | undefined {
  const algorithm = masHashAlgorithm(hash);
  return passwords.schemes.filter((s) => s.algorithm === algorithm).at(-1);
}

function hashProblem(passwords: MasPasswords | undefined, userId: string, hash: string): string | undefined {
  if (passwords === undefined) return undefined; // passwordsRefusal has said why already
  const algorithm = masHashAlgorithm(hash);
  if (algorithm === undefined) {
    return (
      `password_hash of ${userId} is not a hash MAS can check (an argon2, pbkdf2-sha256/-sha512 PHC string or a bcrypt $2b$ hash; not shown here). ` +
      'Give password_file instead'
    );
  }
  const scheme = schemeFor(passwords, hash);
  if (scheme === undefined) {
    return (
      `password_hash of ${userId} is a ${algorithm} hash, but no scheme in MAS's passwords.schemes uses ${algorithm} ` +
      `(${passwords.schemes.map((s) => `version ${s.version}: ${s.algorithm}`).join(', ')}), so MAS could never check it. ` +
      'Give password_file instead, or add such a scheme to MAS first'
    );
  }
  // MAS's bcrypt takes any cost to 31 (masHashAlgorithm), but a login must finish: the limit Synapse's logins have.
  const flaw = algorithm === 'bcrypt' ? costFlaw(Number(hash.split('$').filter((part) => part !== '')[1]), loginCostLimit(scheme.cost)) : undefined;
  if (flaw !== undefined) return `password_hash of ${userId} ${flaw} (the hash is not shown here). Give password_file instead`;
  return undefined;
}

/**
 * What MAS's config says beyond its database: policy.data.admin_users may request admin whatever
 * their users row says, and apply changes rows, never MAS's config.
 */
function adminUsersWarnings(config: MasConfig, plan: Plan, exclusive: boolean, localpartOf: (id: string) => string): string[] {
  const declared = new Map(plan.users.map((u) => [localpartOf(u.account?.userId ?? u.user.userId), u.admin]));
  const kept = config.adminUsers.filter((name) => (declared.has(name) ? declared.get(name) === false : exclusive));
  return kept.length === 0 ? [] : [inPolicyAdminUsers(kept, config.files)];
}

/**
 * What `demote` says: taking can_request_admin away leaves the admin sessions working. One look
 * per demoted user, and demotions are few.
 */
async function sessionWarnings(ctx: MasContext, demoted: readonly string[]): Promise<string[]> {
  const warnings: string[] = [];
  for (const username of demoted) {
    const user = await findMasUser(ctx, username);
    if (user !== undefined) warnings.push(...(await heldAdminSessions(ctx, user)).warnings);
  }
  return warnings;
}

export function masApplyBackend(
  config: SynapseConfig,
  appServices: AppServiceUsers[],
  mas: MasPrepared,
  synapse: Pick<SynapseSessions, 'read'>,
  opts: { ignorePolicy: boolean; randomBytes: (n: number) => Buffer },
): ApplyBackend {
  const refusal = passwordsRefusal(mas);
  const passwords = refusal === undefined ? mas.config.passwords : undefined;
  // The scheme version of each stored hash apply read: a hash is checked with that version's scheme.
  let versions = new Map<string, number>();
  // The Synapse-only accounts read, by their stored user ID: what adopt: true carries over.
  let synapseAccounts = new Map<string, SynapseAccount>();
  const read = async (userIds: readonly string[]) => {
    const state = await mas.read((ctx) => readMasAccounts(ctx, userIds, localpartOf));
    versions = state.versions;
    return state;
  };
  const need = (): MasPasswords => {
    if (passwords === undefined) throw new Error('apply hashed a password although MAS takes none (the file rules refuse them)');
    return passwords;
  };
  return {
    rules: {
      serverName: config.serverName,
      userTypes: [],
      userTypesRefused: USER_TYPE_KEY_REFUSED,
      ...(refusal === undefined ? {} : { passwordsRefused: refusal }),
      reservedFor: reservedUserIds(config, appServices),
      passwordHashProblem: (userId, hash) => hashProblem(passwords, userId, hash),
      newLocalpartProblem(localpart) {
        try {
          validateMasUsername(localpart, config.serverName);
          return undefined;
        } catch (err) {
          return (err as Error).message;
        }
      },
      policyProblems(password) {
        if (opts.ignorePolicy || passwords === undefined) return [];
        const score = passwordScore(password);
        return score >= passwords.minimumComplexity ? [] : [`its complexity score is ${score} (zxcvbn, 0-4), below ${passwords.minimumComplexity}`];
      },
      policyName: "MAS's passwords.minimum_complexity",
      adminChange: mayRequestAdminChange,
      creation: (userId, admin, displayname) => `${createdMasUser(userId, admin)}, display name "${displayname}"`,
      defaultUserType: null,
      // With passwords off, MAS's users log in through an upstream provider, as register allows;
      // without MAS's config file nobody knows whether they are off, and a new user needs one.
      passwordOptional: mas.config.passwords?.enabled === false,
      adopts: true,
    },
    hasher: {
      hash: (password) => hashMasPassword(password, currentScheme(need())),
      async verify(password, hash) {
        // The stored row's version decides the scheme; a version no scheme has counts as a mismatch.
        const scheme = need().schemes.find((s) => s.version === versions.get(hash));
        return scheme !== undefined && verifyMasPassword(password, hash, scheme);
      },
      generate: () => generatePassword(opts.randomBytes),
    },
    async read(userIds) {
      const state = await read(userIds);
      const absent = userIds.filter((id) => !state.accounts.has(id));
      if (absent.length === 0) return state;
      // MAS asks Synapse whether a new name is free: a Synapse-only account is taken, and adopted
      // only where the file says adopt: true (plan.ts decides, knowing the file).
      const { inSynapse, adoptable } = await synapse.read(async (ctx) => {
        const found = await readAccounts(ctx, absent);
        return { inSynapse: found, adoptable: await readSynapseAccounts(ctx, [...found.accounts.values()].map((a) => a.userId)) };
      });
      synapseAccounts = new Map(adoptable.map((a) => [a.userId, a]));
      state.synapseOnly = new Map();
      for (const [id, found] of inSynapse.accounts) {
        const account = synapseAccounts.get(found.userId)!;
        state.synapseOnly.set(id, {
          userId: account.userId,
          admin: account.admin,
          usable: !account.deactivated && !account.locked,
          notAdopted: `${takenInSynapseError(id, account.userId).message.replace(/\.$/, '')}, or give it adopt: true in the file`,
          ...problemOf('adoptRefusal', () => checkAdoptable(account, appServices)),
          ...problemOf('carryProblem', () => carriedPassword(account, mas.config, config.password.pepper)),
        });
      }
      // Several Synapse accounts in different cases: taken all the same.
      for (const p of inSynapse.problems) state.problems.push({ message: `in Synapse's users table, ${p.message}; MAS would refuse the name as taken` });
      return state;
    },
    write: (userIds, recheck, writes) =>
      mas.write(async (ctx) => {
        await serializeToolWriters(ctx.db);
        recheck(await readMasAccounts(ctx, userIds, localpartOf));
        const adoptWarnings: string[] = [];
        for (const a of writes.adopts) {
          const account = synapseAccounts.get(a.synapseUserId)!;
          // The file's password if it gives one, else Synapse's hash (plan.ts refused one no scheme checks).
          const carried = a.passwordHash === null ? carriedPassword(account, mas.config, config.password.pepper).row : undefined;
          const password =
            a.passwordHash !== null
              ? { hash: a.passwordHash, version: schemeFor(need(), a.passwordHash)!.version, source: 'new' as const }
              : carried && { ...carried, source: 'synapse' as const };
          adoptWarnings.push(...(await adoptUser(ctx, account, { admin: a.admin, password })).warnings);
        }
        const taken = await writeMasApply(ctx, writes, {
          localpartOf,
          versionOf: (hash) => schemeFor(need(), hash)!.version,
          // null lets Synapse use the localpart, as register does without --displayname.
          displayName: (c) => (c.displayname === c.localpart ? null : c.displayname),
        });
        if (taken.length > 0) {
          recheck(await readMasAccounts(ctx, userIds, localpartOf));
          throw new Error(`users ${taken.join(', ')} appeared during the INSERT, yet not to the recheck`);
        }
        return [...adoptWarnings, ...(await sessionWarnings(ctx, writes.adminFlags.filter((f) => !f.admin).map((f) => localpartOf(f.userId))))];
      }),
    planWarnings: (plan, exclusive) => adminUsersWarnings(mas.config, plan, exclusive, localpartOf),
  };
}
