// The account store on Synapse's own tables: each use case calls the operations in src/synapse/.
// The changes a running Synapse caches (admin flag, unlock, set-password) are a unit of their own,
// synapseCachedChanges(), so that another way of making them (issue 19: through the running
// Synapse's Admin API) can take their place while the rest stays.
import { loadAppServices } from '../config/appservice.js';
import type { SynapseConfig } from '../config/types.js';
import { UsageError } from '../errors.js';
import { obtainPasswordHash } from '../passwords/new-password.js';
import type { ApplyResult } from '../apply/apply.js';
import { synapseApplyBackend } from '../apply/synapse-backend.js';
import { passwordLoginWorks } from '../synapse/login.js';
import { adminFlagWords, LOGOUT_NOT_NEEDED, NO_ADMIN, nothingToAdopt, passwordLoginOff, passwordSetWords, unlockWords } from '../synapse/messages.js';
import { checkDeviceId } from '../synapse/limits.js';
import { issueToken } from '../synapse/tokens.js';
import { listedInUserDirectory } from '../synapse/user-directory.js';
import { validateNewLocalpart } from '../synapse/user-id.js';
import {
  demote,
  existingForRegister,
  listAdmins,
  promote,
  register,
  setPassword,
  unlock,
  userForSetPassword,
  type NewUser,
} from '../synapse/user-operations.js';
import { findUser, localpartOf } from '../synapse/user-store.js';
import { outcomeOf, shownPassword, type ServerFollowUp } from './outcome.js';
import { passwordAfterLookup } from './password-flow.js';
import type { AccountStore, AdminFlagAccounts, AdminListEntry, SetPasswordAccounts, StoreDeps, SynapseAccess, UnlockAccounts } from './store.js';
import { synapseHealth } from './synapse-health.js';
import { restartFollowUp, type SynapseFollowUp } from './synapse-follow-up.js';

/** The use cases whose changes a running Synapse caches: the part issue 19 makes replaceable. */
export type CachedChanges = AdminFlagAccounts & UnlockAccounts & SetPasswordAccounts;

/** Synapse's database, the command's streams and what follows a change, for each use case below. */
interface SynapseSide {
  db: SynapseAccess;
  deps: StoreDeps;
  followUp: SynapseFollowUp;
}

async function synapseSetAdmin({ db, followUp, deps: { out } }: SynapseSide, ...[user, { admin, logout }]: Parameters<AccountStore['setAdmin']>) {
  if (logout) out.warn(LOGOUT_NOT_NEEDED);
  const res = await db.write((ctx) => (admin ? promote : demote)(ctx, user.userId));
  return outcomeOf(
    res,
    adminFlagWords(res.userId, admin),
    await followUp(res.changed, 'It caches who is an admin.'),
    { admin, admin_sessions: null, sessions_ended: null },
  );
}

async function synapseUnlock({ db, followUp }: SynapseSide, ...[user, { unshadowban }]: Parameters<AccountStore['unlock']>) {
  const res = await db.write((ctx) => unlock(ctx, user.userId, { unshadowban }));
  return outcomeOf(
    res,
    unlockWords(res.userId, unshadowban),
    await followUp(res.changed, 'It caches account state.'),
    {},
  );
}

async function synapseSetPassword({ db, followUp, deps: { io, out, dryRun } }: SynapseSide, ...[user, request]: Parameters<AccountStore['setPassword']>) {
  const { config } = db;
  const { userId } = user;
  let appServices: Awaited<ReturnType<typeof loadAppServices>> = [];
  const { hash, generated } = await passwordAfterLookup(
    request.password,
    () => obtainPasswordHash(request.password, io, out, config, user.localpart),
    async () => {
      appServices = await loadAppServices(config.appServiceConfigFiles, config.serverName);
      await db.read((ctx) => userForSetPassword(ctx, userId, request.reactivate));
    },
  );
  const res = await db.write((ctx) => setPassword(ctx, userId, hash, { ...request, appServices }));
  const cachedState = [res.reactivated && 'account state', request.logout && 'access tokens and pushers'].filter(Boolean);
  const shown = shownPassword(generated, dryRun);
  return outcomeOf(
    res,
    {
      done:
        passwordSetWords(res.userId, res.reactivated) +
        (request.logout ? ` ${res.tokensRemoved} access token(s) and ${res.pushersRemoved} pusher(s) deleted.` : '') +
        shown.line,
      unchanged: 'Nothing to change.',
    },
    await followUp(res.changed, cachedState.length > 0 ? `It caches ${cachedState.join(' and ')}.` : undefined),
    {
      reactivated: res.reactivated,
      tokens_removed: res.tokensRemoved,
      pushers_removed: res.pushersRemoved,
      password_version: null,
      sessions_ended: null,
      ...shown.facts,
    },
  );
}

/** The cached changes written into Synapse's tables, followed by the restart advice. */
export function synapseCachedChanges(db: SynapseAccess, deps: StoreDeps, followUp: SynapseFollowUp = restartFollowUp(db.config, deps.dryRun)): CachedChanges {
  const side: SynapseSide = { db, deps, followUp };
  return {
    setAdmin: (...a) => synapseSetAdmin(side, ...a),
    unlock: (...a) => synapseUnlock(side, ...a),
    setPassword: (...a) => synapseSetPassword(side, ...a),
  };
}

function userTypeFor(userType: string | undefined, config: SynapseConfig): string | null {
  if (userType === undefined) return config.userTypes.default;
  if (!config.userTypes.allowed.includes(userType)) {
    throw new UsageError(
      `--user-type ${userType} is not a user type of this server: use ${config.userTypes.allowed.join(', ')} (user_types.extra_user_types adds more).`,
    );
  }
  return userType;
}

function marks(a: AdminListEntry): string[] {
  return [a.deactivated && 'deactivated', a.locked && 'locked', a.suspended && 'suspended', a.shadow_banned && 'shadow-banned', a.user_type].filter(
    (m): m is string => typeof m === 'string' && m !== '',
  );
}

async function synapseListAdmins({ db }: SynapseSide) {
  const admins: AdminListEntry[] = (await db.read(listAdmins)).map((a) => ({
    user_id: a.user_id,
    username: localpartOf(a.user_id),
    sources: ['users.admin'],
    in_mas: null,
    deactivated: a.deactivated,
    locked: a.locked,
    suspended: a.suspended,
    shadow_banned: a.shadow_banned,
    // Synapse's listing does not read is_guest: a guest cannot be made an admin here.
    guest: null,
    user_type: a.user_type,
  }));
  return { source: 'synapse' as const, admins, marks, warnings: admins.length === 0 ? [NO_ADMIN] : [] };
}

async function synapseRegister({ db, followUp, deps: { io, out, dryRun } }: SynapseSide, ...[user, request]: Parameters<AccountStore['register']>) {
  const { config } = db;
  const { userId, localpart } = user;
  const userType = userTypeFor(request.userType, config);
  const admin = await request.admin();
  const input = { userId, localpart, admin, existsOk: request.existsOk };
  // An existing user keeps its password: don't ask for one, or refuse one, for nothing.
  const existing = await db.read((ctx) => existingForRegister(ctx, input));
  let newUser: NewUser | undefined;
  let generated: string | undefined;
  if (existing === undefined) {
    // New-user rules only for a new user: a legacy @Frank stays reachable with --exists-ok.
    validateNewLocalpart(localpart, config.serverName, { allowUnderscorePrefix: config.allowUnderscorePrefixedLocalpart });
    const password = await obtainPasswordHash(request.password, io, out, config, localpart);
    generated = password.generated;
    newUser = {
      passwordHash: password.hash,
      displayname: request.displayname ?? localpart,
      userType,
      inDirectory: listedInUserDirectory(userId, userType, request.appServices),
      stats: config.statsEnabled,
    };
  }
  const res = await db.write((ctx) => register(ctx, input, newUser));
  const shown = shownPassword(res.created ? generated : undefined, dryRun);
  return outcomeOf(
    res,
    {
      done: res.created
        ? `Registered ${res.userId}${admin ? ' as a server admin' : ''}.${shown.line}`
        : `${res.userId} already existed; it is now ${admin ? '' : 'not '}a server admin. Its password was left alone.`,
      unchanged: `${res.userId} already exists as asked (admin: ${admin ? 'yes' : 'no'}); nothing to change. Its password was left alone.`,
    },
    await followUp(
      res.changed,
      // Synapse also caches that a user did not exist, if anything looked it up before.
      res.created
        ? 'The new user can log in at once, but lookups such as the Admin API may answer 404 for it (Synapse caches "no such user").'
        : 'It caches who is an admin.',
    ),
    { created: res.created, admin, password_set: res.created, ...shown.facts },
  );
}

async function synapseIssueToken({ db, followUp, deps: { io, dryRun } }: SynapseSide, ...[user, { expiresInMs, deviceId }]: Parameters<AccountStore['issueToken']>) {
  if (deviceId !== undefined) checkDeviceId(deviceId);
  const { issued, admin } = await db.write(async (ctx) => {
    const issued = await issueToken(ctx, user.userId, { expiresInMs, deviceId, randomBytes: io.randomBytes });
    return { issued, admin: (await findUser(ctx, issued.userId))?.admin ?? false };
  });
  const expiresAt = issued.expiresAtMs === null ? null : new Date(issued.expiresAtMs).toISOString();
  const device = deviceId === undefined ? '' : ` on device ${deviceId}${issued.deviceCreated ? ' (new)' : ''}`;
  // A new token is accepted by a running Synapse at once: say whether it runs, advise nothing.
  return outcomeOf(
    { userId: issued.userId, changed: true, changes: [`${issued.userId}: access token${device}, expires ${expiresAt ?? 'never'}`], warnings: issued.warnings },
    {
      done: `Token for ${issued.userId}, expires ${expiresAt ?? 'never'}${issued.deviceCreated ? `, new device ${deviceId}` : ''}.`,
      unchanged: '',
    },
    await followUp(true, undefined),
    {
      ...(dryRun ? {} : { access_token: issued.accessToken }),
      expires_at: expiresAt,
      device_id: deviceId ?? null,
      admin,
      admin_source: admin ? 'users.admin' : null,
      synapse_user_exists: true,
      next: null,
    },
  );
}

/** After apply: the restart advice, and that new passwords log no one in when password login is off. */
async function synapseAfterApply({ db: { config }, followUp }: SynapseSide, res: ApplyResult): Promise<ServerFollowUp> {
  const creates = res.users.some((u) => u.action === 'create');
  const server = await followUp(res.changed, 'It caches who is an admin, and may answer 404 for new users it looked up before.');
  return {
    ...server,
    warnings: [
      ...(creates && !passwordLoginWorks(config.password) ? [passwordLoginOff(undefined)] : []),
      ...server.warnings,
    ],
  };
}

/** adopt: Synapse owns its users here, so there is no other store to bring one into (exit 2). */
async function synapseAdopt({ db }: SynapseSide): Promise<never> {
  throw new UsageError(nothingToAdopt(db.config.files));
}

/** Every use case on Synapse's tables; `cached` replaces the changes a running Synapse caches. */
export function synapseAccounts(db: SynapseAccess, deps: StoreDeps, cached: CachedChanges = synapseCachedChanges(db, deps)): AccountStore {
  const side: SynapseSide = { db, deps, followUp: restartFollowUp(db.config, deps.dryRun) };
  return {
    name: 'synapse',
    ...cached,
    listAdmins: () => synapseListAdmins(side),
    register: (...a) => synapseRegister(side, ...a),
    adopt: () => synapseAdopt(side),
    issueToken: (...a) => synapseIssueToken(side, ...a),
    health: (named) => synapseHealth(db, deps, named),
    applyBackend: (appServices, opts) => synapseApplyBackend(db.config, appServices, { read: db.read, write: db.write }, opts),
    afterApply: (res) => synapseAfterApply(side, res),
  };
}
