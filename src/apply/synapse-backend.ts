// apply on a server whose logins live in Synapse's own users table: Synapse's rules for user IDs,
// its bcrypt hashes with pepper, and its database through the command's read/write sessions.
import { appServiceClaiming, type AppServiceUsers } from '../config/appservice.js';
import type { SynapseConfig } from '../config/types.js';
import { generatePassword } from '../passwords/input.js';
import type { ApplyBackend } from './backend.js';
import type { UserContext } from '../synapse/user-store.js';
import { serializeToolWriters } from '../database/dialect.js';
import { readAccounts, writeApply } from './synapse-store.js';
import { bcryptHashFlaw, loginCostLimit } from '../synapse/bcrypt-hash.js';
import { checkPassword, checkPolicy, hashPassword } from '../synapse/password.js';
import { listedInUserDirectory } from '../synapse/user-directory.js';
import { validateNewLocalpart } from '../synapse/user-id.js';

export interface SynapseSessions {
  read<T>(fn: (ctx: UserContext) => Promise<T>): Promise<T>;
  write<T>(fn: (ctx: UserContext) => Promise<T>): Promise<T>;
}

/** apply's password_hash rule on Synapse's own logins: a bcrypt hash its login can check, in a time a login can take. */
export function synapseHashRule(bcryptRounds: unknown): (userId: string, hash: string) => string | undefined {
  const maxCost = loginCostLimit(bcryptRounds);
  return (userId, hash) => {
    const flaw = bcryptHashFlaw(hash, maxCost);
    return flaw && `password_hash of ${userId} ${flaw} (the hash is not shown here). Make one with Synapse's hash_password, or give password_file instead`;
  };
}

/** The user IDs Synapse keeps for others (server notices, application services), whichever side owns logins. */
export function reservedUserIds(config: SynapseConfig, appServices: AppServiceUsers[]): (userId: string) => string | undefined {
  return (userId) => {
    if (userId === `@${config.serverNoticesLocalpart}:${config.serverName}`) {
      return 'it is the server notices user (server_notices.system_mxid_localpart)';
    }
    const claim = appServiceClaiming(userId, appServices);
    return claim && `application service "${claim.id}" owns it (${claim.file}: ${claim.reason})`;
  };
}

export function synapseApplyBackend(
  config: SynapseConfig,
  appServices: AppServiceUsers[],
  sessions: SynapseSessions,
  opts: { ignorePolicy: boolean; randomBytes: (n: number) => Buffer },
): ApplyBackend {
  return {
    rules: {
      serverName: config.serverName,
      userTypes: config.userTypes.allowed,
      defaultUserType: config.userTypes.default,
      reservedFor: reservedUserIds(config, appServices),
      passwordHashProblem: synapseHashRule(config.password.bcryptRounds),
      newLocalpartProblem(localpart) {
        try {
          validateNewLocalpart(localpart, config.serverName, { allowUnderscorePrefix: config.allowUnderscorePrefixedLocalpart });
          return undefined;
        } catch (err) {
          return (err as Error).message;
        }
      },
      policyProblems: (password) => (opts.ignorePolicy ? [] : checkPolicy(password, config.password.policy)),
      policyName: 'password_config.policy',
    },
    hasher: {
      hash: (password) => hashPassword(password, config.password),
      verify: (password, hash) => checkPassword(password, hash, config.password),
      generate: () => generatePassword(opts.randomBytes),
    },
    read: (userIds) => sessions.read((ctx) => readAccounts(ctx, userIds)),
    write: (userIds, recheck, writes) =>
      sessions.write(async (ctx) => {
        await serializeToolWriters(ctx.db);
        recheck(await readAccounts(ctx, userIds));
        const taken = await writeApply(ctx, writes, {
          inDirectory: (userId, userType) => listedInUserDirectory(userId, userType, appServices),
          stats: config.statsEnabled,
        });
        if (taken.length > 0) {
          // Created after the recheck by a writer that is not this tool (Synapse): recheck names it.
          recheck(await readAccounts(ctx, userIds));
          throw new Error(`users ${taken.join(', ')} appeared during the INSERT, yet not to the recheck`);
        }
        return [];
      }),
  };
}
