// apply on a server whose logins live in Synapse's own users table: Synapse's rules for user IDs,
// its bcrypt hashes with pepper, and its database through the command's read/write sessions.
import { appServiceClaiming, type AppServiceUsers } from '../config/appservice.js';
import type { SynapseConfig } from '../config/types.js';
import { generatePassword } from '../commands/password-input.js';
import type { ApplyBackend } from '../apply/backend.js';
import type { UserContext } from './user-store.js';
import { readAccounts, takeWriterTurn, writeApply } from './apply-store.js';
import { checkPassword, checkPolicy, hashPassword } from './password.js';
import { listedInUserDirectory } from './user-directory.js';
import { validateNewLocalpart } from './user-id.js';

export interface SynapseSessions {
  read<T>(fn: (ctx: UserContext) => Promise<T>): Promise<T>;
  write<T>(fn: (ctx: UserContext) => Promise<T>): Promise<T>;
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
      reservedFor(userId) {
        if (userId === `@${config.serverNoticesLocalpart}:${config.serverName}`) {
          return 'it is the server notices user (server_notices.system_mxid_localpart)';
        }
        const claim = appServiceClaiming(userId, appServices);
        return claim && `application service "${claim.id}" owns it (${claim.file}: ${claim.reason})`;
      },
      newLocalpartProblem(localpart) {
        try {
          validateNewLocalpart(localpart, config.serverName, { allowUnderscorePrefix: config.allowUnderscorePrefixedLocalpart });
          return undefined;
        } catch (err) {
          return (err as Error).message;
        }
      },
      policyProblems: (password) => (opts.ignorePolicy ? [] : checkPolicy(password, config.password.policy)),
    },
    hasher: {
      hash: (password) => hashPassword(password, config.password),
      verify: (password, hash) => checkPassword(password, hash, config.password),
      generate: () => generatePassword(opts.randomBytes),
    },
    read: (userIds) => sessions.read((ctx) => readAccounts(ctx, userIds)),
    write: (userIds, recheck, writes) =>
      sessions.write(async (ctx) => {
        await takeWriterTurn(ctx);
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
      }),
  };
}
