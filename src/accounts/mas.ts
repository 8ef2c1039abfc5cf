// The account store on MAS's tables, for a server whose logins belong to matrix-authentication-
// service: each use case calls the operations in src/mas/, and reads Synapse's tables only. What
// happens next is MAS's worker's: its jobs carry each change to Synapse, so nothing is restarted.
import type { ApplyResult } from '../apply/apply.js';
import { masApplyBackend } from '../apply/mas-backend.js';
import { UsageError, type ConfigError } from '../errors.js';
import type { Io } from '../io.js';
import { demote, listAdmins, promote, unlock } from '../mas/admin-operations.js';
import { totalOf } from '../mas/admin-sessions.js';
import type { MasConfig } from '../mas/config.js';
import { workerWarnings } from '../mas/jobs.js';
import {
  adminMarks,
  ADOPTED_NOTE,
  MAS_CACHE_NOTE,
  NO_ADMIN,
  notInSynapseYet,
  UNSHADOWBAN_REFUSED,
  USER_TYPE_REFUSED,
} from '../mas/messages.js';
import type { MasPrepared } from '../mas/session.js';
import type { Output } from '../output.js';
import {
  masPasswordsForNewPassword,
  obtainMasPasswordHash,
  passwordSourceGiven,
  type MasHashedPassword,
  type PasswordArgs,
} from '../passwords/new-password.js';
import { healthUrls } from '../synapse/live-server.js';
import { loadAppServices } from '../config/appservice.js';
import type { SynapseAccount } from '../mas/adopt-source.js';
import type { AdoptedAccount, AdoptInput } from '../mas/adopt.js';
import { findUser } from '../synapse/user-store.js';
import { masHealth, masUnreadable } from './mas-health.js';
import { inSynapseTable } from './synapse-health.js';
import { NO_FOLLOW_UP, outcomeOf, shownPassword, type ServerFollowUp } from './outcome.js';
import { passwordAfterLookup } from './password-flow.js';
import type { AccountStore, AdminListEntry, StoreDeps, SynapseAccess } from './store.js';

const IN_MAS = ' (in MAS)';

/**
 * Whether Synapse's users table has the user, for the message when MAS has none: a look at
 * Synapse's database only then. Undefined when that look fails: the not-found error stays the news.
 */
function inSynapse(db: SynapseAccess, userId: string): () => Promise<boolean | undefined> {
  return () => inSynapseTable(db, userId).catch(() => undefined);
}

/**
 * A new MAS user's password: required when MAS takes passwords (as for Synapse's own users), and
 * none when MAS's passwords are off, as `mas-cli manage register-user` allows for users who log in
 * through an upstream provider; a password option given then is refused, not ignored.
 */
async function passwordForRegister(args: PasswordArgs, io: Io, out: Output, mas: MasConfig): Promise<MasHashedPassword | undefined> {
  if (mas.passwords?.enabled === false && !passwordSourceGiven(args)) return undefined;
  const passwords = masPasswordsForNewPassword(mas);
  return obtainMasPasswordHash(args, io, out, mas, passwords);
}

/** Where to ask whether Synapse accepts a token: its first local HTTP listener, if the config has one. */
function whoamiUrl(db: SynapseAccess): string {
  const health = healthUrls(db.config.listeners)[0];
  return `${health === undefined ? '<homeserver URL>' : health.slice(0, -'/health'.length)}/_matrix/client/v3/account/whoami`;
}

/** A MAS store's databases and the command's streams, for each use case below. */
interface MasSide {
  db: SynapseAccess;
  mas: MasPrepared;
  deps: StoreDeps;
}

const IN_MAS_WORDS = (done: string, unchanged: string) => ({ done, unchanged, dryRunWhere: IN_MAS });

async function masSetAdmin({ db, mas }: MasSide, ...[user, { admin, logout }]: Parameters<AccountStore['setAdmin']>) {
  const lookup = { inSynapse: inSynapse(db, user.userId) };
  if (admin) {
    const res = await mas.write((ctx) => promote(ctx, user.localpart, lookup));
    return outcomeOf(
      res,
      IN_MAS_WORDS(
        `${res.userId} may now request admin rights (MAS: can_request_admin).`,
        `${res.userId} may already request admin rights in MAS; nothing to change.`,
      ),
      NO_FOLLOW_UP,
      { admin, admin_sessions: null, sessions_ended: null },
    );
  }
  const res = await mas.write((ctx) => demote(ctx, user.localpart, { ...lookup, logout }));
  const held = totalOf(res.adminSessions);
  return outcomeOf(
    res,
    IN_MAS_WORDS(
      `${res.userId} may no longer request admin rights (MAS: can_request_admin).${res.sessionsEnded ? ` ${held} admin session(s) ended.` : ''}`,
      `${res.userId} may not request admin rights in MAS${held > 0 && !logout ? `, but holds ${held} admin session(s)` : ''}; nothing to change.`,
    ),
    NO_FOLLOW_UP,
    {
      admin,
      admin_sessions: { ...res.adminSessions, total: held },
      // On a dry run the sessions would end; on a real run they did.
      sessions_ended: res.sessionsEnded ? held : 0,
    },
  );
}

async function masUnlock({ db, mas }: MasSide, ...[user, { unshadowban }]: Parameters<AccountStore['unlock']>) {
  if (unshadowban) throw new UsageError(UNSHADOWBAN_REFUSED);
  const res = await mas.write((ctx) => unlock(ctx, user.localpart, { inSynapse: inSynapse(db, user.userId) }));
  return outcomeOf(
    res,
    IN_MAS_WORDS(
      `${res.userId} is unlocked in MAS. Synapse learns it when MAS's worker runs the provision-user job (seconds).`,
      `${res.userId} is not locked in MAS; nothing to change.`,
    ),
    NO_FOLLOW_UP,
    {},
  );
}

async function masListAdmins({ mas }: MasSide) {
  const admins: AdminListEntry[] = (await mas.read(listAdmins)).map((a) => ({
    user_id: a.user_id,
    username: a.username,
    sources: a.sources,
    in_mas: a.in_mas,
    deactivated: a.deactivated,
    locked: a.locked,
    // Synapse's suspension and shadow ban are not MAS's; user types do not exist there.
    suspended: null,
    shadow_banned: null,
    guest: a.guest,
    user_type: null,
  }));
  return { source: 'mas' as const, admins, marks: adminMarks, warnings: admins.length === 0 ? [NO_ADMIN] : [] };
}

/**
 * The user is made in MAS's database, and MAS's worker creates the Synapse account from the
 * provision-user job. Synapse's database is only read, for names it already has.
 */
async function masRegister({ db, mas, deps: { io, out, dryRun } }: MasSide, ...[user, request]: Parameters<AccountStore['register']>) {
  const { userId, localpart } = user;
  if (request.userType !== undefined) throw new UsageError(USER_TYPE_REFUSED);
  const { existingForMasRegister, registerMasUser, takenInSynapseError, validateMasUsername } = await import('../mas/register.js');
  const admin = await request.admin();
  const input = { userId, localpart, admin, existsOk: request.existsOk, displayname: request.displayname ?? null };
  const existing = await mas.read((ctx) => existingForMasRegister(ctx, input));
  let password: MasHashedPassword | undefined;
  if (existing === undefined) {
    validateMasUsername(localpart, db.config.serverName);
    const taken = await db.read((ctx) => findUser(ctx, userId));
    if (taken !== undefined) throw takenInSynapseError(userId, taken.name);
    password = await passwordForRegister(request.password, io, out, mas.config);
  }
  const res = await mas.write((ctx) => registerMasUser(ctx, input, password));
  const shown = shownPassword(res.created ? password?.generated : undefined, dryRun);
  const adminWords = admin ? ' who may request admin rights (MAS: can_request_admin)' : '';
  return outcomeOf(
    res,
    IN_MAS_WORDS(
      res.created
        ? `Registered ${res.userId} in MAS${adminWords}${password === undefined ? ', without a password (for logins through an upstream provider)' : ''}.${shown.line}`
        : `${res.userId} already existed in MAS; it ${admin ? 'may now' : 'may no longer'} request admin rights. Its password was left alone.`,
      `${res.userId} already exists in MAS as asked (may request admin: ${admin ? 'yes' : 'no'}); nothing to change. Its password was left alone.`,
    ),
    NO_FOLLOW_UP,
    {
      created: res.created,
      admin,
      password_set: res.created && password !== undefined,
      ...shown.facts,
    },
  );
}

function carriedSummary(a: AdoptedAccount): string {
  const password = a.password === 'synapse' ? 'its Synapse password' : a.password === 'new' ? 'a new password' : 'no password';
  return `${password}, ${a.emails} email address(es), ${a.upstream_links} upstream link(s), ${a.devices} device(s)`;
}

/**
 * A user only Synapse has gets the MAS account syn2mas would give it (src/mas/adopt.ts), in one
 * transaction on MAS's database; Synapse's is only read. A user MAS has is refused first (exit 6,
 * whether or not Synapse has it), and an unknown or app-service user before anyone types a password.
 */
async function masAdopt({ db, mas, deps: { io, out, dryRun } }: MasSide, ...[user, request]: Parameters<AccountStore['adopt']>) {
  const [{ readSynapseAccount }, { adoptIntoMas, carriedPassword, checkAdoptable, refuseExistingMasUser }] = await Promise.all([
    import('../mas/adopt-source.js'),
    import('../mas/adopt.js'),
  ]);
  const { config } = db;
  const given = passwordSourceGiven(request.password);
  let account: SynapseAccount | undefined;
  const fresh = await passwordAfterLookup(
    request.password,
    async () => (given ? obtainMasPasswordHash(request.password, io, out, mas.config, masPasswordsForNewPassword(mas.config)) : undefined),
    async () => {
      // adoptIntoMas asks MAS again in its transaction.
      await mas.read((ctx) => refuseExistingMasUser(ctx, user));
      account = await db.read((ctx) => readSynapseAccount(ctx, user.userId));
      checkAdoptable(account, await loadAppServices(config.appServiceConfigFiles, config.serverName));
    },
  );
  const found = account!;
  const carried = fresh === undefined ? carriedPassword(found, mas.config, config.password.pepper) : undefined;
  const password: AdoptInput['password'] =
    fresh !== undefined ? { hash: fresh.hash, version: fresh.version, source: 'new' } : carried?.row && { ...carried.row, source: 'synapse' };
  const admin = request.admin ?? found.admin;
  const res = await mas.write((ctx) => adoptIntoMas(ctx, found, { admin, password }));
  const shown = shownPassword(fresh?.generated, dryRun);
  return outcomeOf(
    { ...res, warnings: [...(carried?.note === undefined ? [] : [carried.note]), ...res.warnings] },
    IN_MAS_WORDS(
      `Adopted ${res.userId} into MAS${admin ? ' (may request admin)' : ''}: ${carriedSummary(res.adopted)}.${shown.line}`,
      `${res.userId} needs nothing.`,
    ),
    NO_FOLLOW_UP,
    { adopted: res.adopted, ...shown.facts },
  );
}

/** A new user_passwords row in MAS's database. */
async function masSetPassword({ db, mas, deps: { io, out, dryRun } }: MasSide, ...[user, request]: Parameters<AccountStore['setPassword']>) {
  const { masUserForSetPassword, setMasPassword } = await import('../mas/set-password.js');
  const passwords = masPasswordsForNewPassword(mas.config);
  const opts = { logout: request.logout, reactivate: request.reactivate, inSynapse: inSynapse(db, user.userId) };
  const password = await passwordAfterLookup(
    request.password,
    () => obtainMasPasswordHash(request.password, io, out, mas.config, passwords),
    () => mas.read((ctx) => masUserForSetPassword(ctx, user.localpart, opts)),
  );
  const res = await mas.write((ctx) => setMasPassword(ctx, user.localpart, password, opts));
  const shown = shownPassword(password.generated, dryRun);
  const s = res.sessionsEnded;
  return outcomeOf(
    res,
    IN_MAS_WORDS(
      (res.reactivated ? `${res.userId} is active again in MAS, with the new password.` : `The MAS password of ${res.userId} is set.`) + shown.line,
      'Nothing to change.',
    ),
    NO_FOLLOW_UP,
    {
      reactivated: res.reactivated,
      tokens_removed: null,
      pushers_removed: null,
      password_version: password.version,
      sessions_ended: s === undefined ? null : { compat: s.compat, oauth2: s.oauth2, browser: s.browser, personal: s.personal },
      ...shown.facts,
    },
  );
}

/**
 * A compat session and `mct_` token in MAS's database. The token is printed once, on stdout (or
 * in the one --json object), nowhere else.
 */
async function masIssueToken({ db, mas, deps: { dryRun } }: MasSide, ...[user, { expiresInMs, deviceId }]: Parameters<AccountStore['issueToken']>) {
  const { checkMasDeviceId, issueMasToken } = await import('../mas/issue-token.js');
  const { checkDeviceId } = await import('../synapse/limits.js');
  if (deviceId !== undefined) {
    checkDeviceId(deviceId);
    checkMasDeviceId(deviceId);
  }
  const issued = await mas.write((ctx) => issueMasToken(ctx, user.localpart, { expiresInMs, deviceId, inSynapse: inSynapse(db, user.userId) }));
  const synapseHasUser = await inSynapseTable(db, issued.userId);
  const expiresAt = issued.expiresAtMs === null ? null : new Date(issued.expiresAtMs).toISOString();
  const rights = issued.admin ? `with Synapse admin rights (${issued.adminSource})` : 'without admin rights';
  const next =
    `Synapse accepts the token once MAS's worker has run the sync-devices job (seconds): ` +
    `\`curl -H "Authorization: Bearer $TOKEN" ${whoamiUrl(db)}\` then answers with ${issued.userId}, ` +
    `and \`check ${issued.username}\` shows whether jobs are still waiting.`;
  return outcomeOf(
    {
      userId: issued.userId,
      changed: true,
      changes: issued.changes,
      warnings: [...issued.warnings, ...(synapseHasUser ? [] : [notInSynapseYet(issued.userId, issued.username)])],
      notes: [next],
      jobs: [issued.job],
    },
    IN_MAS_WORDS(`Token for ${issued.userId} ${rights}, device ${issued.deviceId}, expires ${expiresAt ?? 'never'}.`, ''),
    NO_FOLLOW_UP,
    {
      ...(dryRun ? {} : { access_token: issued.accessToken }),
      expires_at: expiresAt,
      device_id: issued.deviceId,
      admin: issued.admin,
      admin_source: issued.adminSource,
      synapse_user_exists: synapseHasUser,
      next,
    },
  );
}

/** After apply: MAS's worker carries the change; Synapse's cache of MAS's answers catches up. */
async function masAfterApply({ mas, deps }: MasSide, res: ApplyResult): Promise<ServerFollowUp> {
  if (!res.changed || deps.dryRun) return NO_FOLLOW_UP;
  const created = res.users.filter((u) => u.action === 'create').length;
  return {
    warnings: await mas.read(workerWarnings),
    notes: [
      ...(created > 0
        ? [`MAS's worker creates the Synapse account${created === 1 ? '' : 's'} of the ${created} new user${created === 1 ? '' : 's'} from the provision-user jobs, within seconds while it runs.`]
        : []),
      ...(res.users.some((u) => u.action === 'adopt') ? [ADOPTED_NOTE] : []),
      ...(res.users.some((u) => u.action === 'update' || u.action === 'demote') ? [MAS_CACHE_NOTE] : []),
    ],
    synapseRunning: null,
    restartNeeded: null,
    appliedVia: null,
  };
}

export function masAccounts(db: SynapseAccess, mas: MasPrepared, deps: StoreDeps): AccountStore {
  const side: MasSide = { db, mas, deps };
  return {
    name: 'mas',
    setAdmin: (...a) => masSetAdmin(side, ...a),
    unlock: (...a) => masUnlock(side, ...a),
    listAdmins: () => masListAdmins(side),
    register: (...a) => masRegister(side, ...a),
    adopt: (...a) => masAdopt(side, ...a),
    setPassword: (...a) => masSetPassword(side, ...a),
    issueToken: (...a) => masIssueToken(side, ...a),
    health: (named) => masHealth(db, mas, deps, named),
    applyBackend: (appServices, opts) => masApplyBackend(db.config, appServices, mas, { read: db.read }, opts),
    afterApply: (res) => masAfterApply(side, res),
  };
}

/** With --mas-config missing or unusable: check still reports Synapse's half; nothing else runs. */
export function masUnreadableAccounts(db: SynapseAccess, problem: ConfigError, deps: StoreDeps): AccountStore {
  const refuse = (): never => {
    throw problem;
  };
  return {
    name: 'mas',
    setAdmin: refuse,
    unlock: refuse,
    listAdmins: refuse,
    register: refuse,
    adopt: refuse,
    setPassword: refuse,
    issueToken: refuse,
    applyBackend: refuse,
    afterApply: refuse,
    health: (named) => masUnreadable(db, problem, deps, named),
  };
}
