// `adopt`: a user that exists only in Synapse gets the MAS account syn2mas would have given it
// (facts: MAS crates/syn2mas/src/migration.rs transform_user and migrate_*, mas_writer), in one
// transaction on MAS's database. Synapse's database is only read (adopt-source.ts): the account
// there stays as it is, and the provision-user job queued here only updates it, as MAS's worker
// does for an existing Synapse user (emails as carried, display name untouched, devices as carried).
import { isIP } from 'node:net';
import { isValid as isUlid, ulidToUUID } from 'ulid';
import { appServiceClaiming, type AppServiceUsers } from '../config/appservice.js';
import { AccountStateError, ConfigError, UsageError, UserExistsError } from '../errors.js';
import type { MasOperationResult } from './admin-operations.js';
import type { SynapseAccount } from './adopt-source.js';
import { insertCompatSession } from './compat-sessions.js';
import type { MasConfig, MasPasswordScheme, MasPasswords } from './config.js';
import { newMasId, ulidOf } from './ids.js';
import { provisionUser, scheduleJob, workerWarnings } from './jobs.js';
import { masHashAlgorithm } from './password.js';
import type { MasPasswordRow } from './register.js';
import type { MasContext } from './session.js';
import { findMasUser, insertMasPasswords, insertMasUsers } from './user-store.js';

/**
 * Refuses what syn2mas leaves out or cannot be one of this server's MAS users: an application
 * service's user (syn2mas skips them; the app service logs in with its own token), and a user ID
 * an app service claims exclusively. Call it before asking for a password.
 */
export function checkAdoptable(account: SynapseAccount, appServices: readonly AppServiceUsers[]): void {
  if (account.appserviceId !== null) {
    throw new UsageError(
      `${account.userId} belongs to the application service "${account.appserviceId}": app-service users have no MAS account ` +
        '(syn2mas skips them too); the app service acts for them with its own as_token. Nothing to adopt.',
    );
  }
  const claim = appServiceClaiming(account.userId, [...appServices]);
  if (claim !== undefined) {
    throw new UsageError(
      `${account.userId} is reserved by application service "${claim.id}" (${claim.file}: ${claim.reason}); MAS would refuse ` +
        'the name, and the app service acts for such users. Nothing to adopt.',
    );
  }
}

/** Bytes of a pepper: MAS's `secret` (absent: none) against Synapse's password_config.pepper ('' when unset). */
const samePepper = (scheme: MasPasswordScheme, pepper: string) => (scheme.secret ?? Buffer.alloc(0)).equals(Buffer.from(pepper, 'utf8'));

/**
 * The MAS scheme that checks a Synapse bcrypt hash as Synapse does: bcrypt, NFKC first, and
 * Synapse's pepper appended (what syn2mas's generated config holds as version 1). The lowest such
 * version, as syn2mas stores imported hashes under version 1.
 */
function schemeForSynapseHashes(passwords: MasPasswords, pepper: string): MasPasswordScheme | undefined {
  return passwords.schemes.find((s) => s.algorithm === 'bcrypt' && s.unicodeNormalization && samePepper(s, pepper));
}

export interface CarriedPassword {
  /** The user_passwords row to write, when Synapse's hash is carried. */
  row?: MasPasswordRow;
  /** Why no row is carried, when none is. */
  note?: string;
}

/**
 * What becomes of Synapse's password hash when no new password is given: a row under the scheme
 * that verifies it, nothing (with the reason) when there is nothing MAS could use, or a
 * ConfigError naming the fix when MAS's config has no scheme for it.
 */
export function carriedPassword(account: SynapseAccount, mas: MasConfig, pepper: string): CarriedPassword {
  const hash = account.passwordHash;
  if (hash === null || hash === '') {
    return { note: `${account.userId} has no password in Synapse (an SSO or app-made account): none carried; it logs in through its upstream provider, or give it one with \`set-password\`.` };
  }
  if (masHashAlgorithm(hash) !== 'bcrypt') {
    return {
      note:
        `${account.userId}'s password_hash in Synapse is not a bcrypt hash (not shown), so no password logs it in there either: none carried. ` +
        'Give it one with `set-password`.',
    };
  }
  const passwords = mas.passwords;
  if (passwords === undefined) {
    throw new ConfigError(
      `Carrying ${account.userId}'s Synapse password needs MAS's passwords.schemes, which are in MAS's config file, and none was read ` +
        `(only ${mas.databaseSource}). Pass --mas-config with MAS's config.yaml (or set $MAS_CONFIG), or give a new password (--password-file, --random-password).`,
    );
  }
  if (!passwords.enabled) {
    return { note: `Passwords are off in MAS (passwords.enabled: false): ${account.userId}'s Synapse password is not carried; it logs in through an upstream provider.` };
  }
  const scheme = schemeForSynapseHashes(passwords, pepper);
  if (scheme !== undefined) return { row: { hash, version: scheme.version } };
  const current = passwords.schemes.at(-1)!;
  throw new ConfigError(
    `${account.userId}'s Synapse password is a bcrypt hash with Synapse's pepper, and no scheme in MAS's passwords.schemes ` +
      `(${passwords.file ?? "MAS's defaults"}: ${passwords.schemes.map((s) => `version ${s.version} ${s.algorithm}`).join(', ')}) can check it: that needs ` +
      "algorithm: bcrypt, unicode_normalization: true and secret set to Synapse's password_config.pepper (none if Synapse has none). " +
      `Add such a scheme to MAS's config with a version below ${current.version} (syn2mas uses version 1 = bcrypt, 2 = argon2id), ` +
      'restart MAS and run adopt again; MAS then re-hashes it with the newest scheme at the next login. ' +
      'Or give a new password with --password-file, --password-stdin or --random-password.',
  );
}

export interface AdoptInput {
  /** can_request_admin: Synapse's admin flag unless --admin/--no-admin says otherwise. */
  admin: boolean;
  /** The password row: Synapse's hash (carriedPassword) or a new one; none when undefined. */
  password: (MasPasswordRow & { source: 'synapse' | 'new' }) | undefined;
}

/** What adopt carried, for --json. */
export interface AdoptedAccount {
    username: string;
    can_request_admin: boolean;
    locked: boolean;
    deactivated: boolean;
    password: 'synapse' | 'new' | null;
    password_version: number | null;
    emails: number;
    unsupported_threepids: number;
    upstream_links: number;
    devices: number;
    access_tokens_not_carried: number;
}

export interface AdoptResult extends MasOperationResult {
  adopted: AdoptedAccount;
}

/** The MAS user that `adopt` would collide with: already adopted, or a name MAS finds taken. */
export async function refuseExistingMasUser(ctx: MasContext, account: Pick<SynapseAccount, 'userId' | 'localpart'>): Promise<void> {
  const existing = await findMasUser(ctx, account.localpart);
  if (existing === undefined) return;
  throw new UserExistsError(
    account.userId,
    existing.username === account.localpart
      ? 'It is already a MAS user, so there is nothing to adopt: use `promote`, `set-password` or `unlock` on it.'
      : `MAS compares usernames case-insensitively, and its user "${existing.username}" holds this name; adopt cannot give ${account.userId} a MAS account of its own.`,
  );
}

const ms = (seconds: number | null) => (seconds === null ? null : seconds * 1000);
/** A time a ULID can hold; else the fallback (Synapse rows from before creation_ts, or broken ones). */
const usable = (t: number | null | undefined, fallback: number) => (t !== null && t !== undefined && Number.isSafeInteger(t) && t >= 0 && t < 2 ** 48 ? t : fallback);

/** The account's MAS user row, as transform_user makes it: id and times at Synapse's creation_ts. */
async function insertUser(ctx: MasContext, account: SynapseAccount, input: AdoptInput, createdMs: number): Promise<string> {
  const { has } = ctx.schema;
  if (account.deactivated && !has.deactivatedAt) {
    throw new AccountStateError(`${account.userId} is deactivated in Synapse, and this MAS (${ctx.schema.release}) has no deactivated accounts to hold it. Upgrade MAS to 0.15 or newer first.`);
  }
  if (account.isGuest && !has.isGuest) {
    throw new AccountStateError(`${account.userId} is a guest in Synapse, and this MAS (${ctx.schema.release}) has no guest accounts. Upgrade MAS to 0.14 or newer first.`);
  }
  const createdAt = new Date(createdMs);
  const state = {
    // syn2mas has no lock or deactivation time to carry and uses the creation time for both.
    locked_at: account.locked ? createdAt : null,
    ...(has.deactivatedAt ? { deactivated_at: account.deactivated ? createdAt : null } : {}),
    ...(has.isGuest ? { is_guest: account.isGuest } : {}),
  };
  const inserted = await insertMasUsers(ctx, [{ username: account.localpart, admin: input.admin, createdAt: createdMs, state }], createdMs);
  const id = inserted.get(account.localpart);
  if (id === undefined) throw new UserExistsError(account.userId, 'It was made a MAS user while this command ran; there is nothing to adopt.');
  return id;
}

/** user_emails from the email threepids (syn2mas: ids and times at added_at), the others aside. */
async function insertThreepids(ctx: MasContext, account: SynapseAccount, userRowId: string, createdMs: number, changes: string[], warnings: string[]) {
  const emails = account.threepids.filter((t) => t.medium === 'email');
  const others = account.threepids.filter((t) => t.medium !== 'email');
  const emailIds: string[] = [];
  for (const t of emails) {
    const at = usable(t.addedAt, createdMs);
    const id = newMasId(at);
    emailIds.push(id);
    await ctx.db('user_emails').insert({
      user_email_id: id,
      user_id: userRowId,
      email: t.address,
      created_at: new Date(at),
      // MAS before 1.10 kept a confirmation time; Synapse's threepids are validated ones.
      ...(ctx.schema.has.emailConfirmedAt ? { confirmed_at: new Date(at) } : {}),
    });
    changes.push(`${account.localpart}: email ${t.address}`);
  }
  if (emailIds.length > 0 && ctx.schema.has.primaryUserEmailId) {
    await ctx.db('users').where({ user_id: userRowId }).update({ primary_user_email_id: emailIds[0] });
  }
  // MAS keeps other media only to remember them (user_unsupported_third_party_ids, MAS 0.14+), and
  // drops them for deactivated users.
  let kept = 0;
  if (others.length > 0 && !account.deactivated) {
    if (ctx.schema.has.unsupportedThirdPartyIds) {
      for (const t of others) {
        await ctx.db('user_unsupported_third_party_ids').insert({ user_id: userRowId, medium: t.medium, address: t.address, created_at: new Date(usable(t.addedAt, createdMs)) });
        changes.push(`${account.localpart}: ${t.medium} ${t.address} (kept as a third-party ID MAS does not use)`);
        kept++;
      }
    } else {
      warnings.push(`${account.userId}'s ${others.map((t) => t.medium).join(', ')} third-party IDs are not carried: this MAS keeps none but email addresses. Synapse keeps them.`);
    }
  }
  return { emails: emails.length, others: kept };
}

/**
 * upstream_oauth_links for the SSO links MAS's config maps: a provider whose synapse_idp_id is the
 * link's auth_provider (Synapse's `oidc-<idp_id>`), as syn2mas maps them. A link MAS made when
 * the user tried to log in through that provider and was refused (user_id still empty) is given
 * to the user, as MAS links an existing account; each link that cannot be carried is named.
 */
async function insertLinks(ctx: MasContext, account: SynapseAccount, userRowId: string, createdMs: number, changes: string[], warnings: string[]): Promise<number> {
  const providers = ctx.config.upstreamProviders;
  let carried = 0;
  for (const { authProvider, externalId } of account.externalIds) {
    const skip = (why: string) => warnings.push(`${account.userId}'s link to ${authProvider} (subject ${externalId}) is not carried: ${why}`);
    if (authProvider === 'oauth-delegated') {
      skip('it is the record of an earlier MAS (matrix-authentication-service in Synapse\'s msc3861 mode), not an upstream provider.');
      continue;
    }
    if (providers === undefined) {
      skip("no MAS config file was read, so which upstream provider it is cannot be told. Pass --mas-config with MAS's config.yaml.");
      continue;
    }
    const provider = providers.find((p) => p.synapseIdpId === authProvider);
    if (provider === undefined) {
      skip(
        `no provider in MAS's upstream_oauth2.providers has synapse_idp_id: ${authProvider}, so MAS has no link for it. To carry it, ` +
          'set synapse_idp_id on the matching provider (syn2mas needs it too) and let MAS sync its config before adopting; --dry-run shows these first.',
      );
      continue;
    }
    if (provider.id === undefined || !isUlid(provider.id)) {
      skip(`its provider (${provider.where}) has no valid id (a ULID), so MAS cannot have synced it.`);
      continue;
    }
    const providerId = ulidToUUID(provider.id).toLowerCase();
    const synced = await ctx.db('upstream_oauth_providers').first('upstream_oauth_provider_id').where({ upstream_oauth_provider_id: providerId });
    if (synced === undefined) {
      skip(`provider ${provider.id} (${provider.where}) is not in MAS's database yet: start MAS once (it syncs its config) or run \`mas-cli config sync\`, then link it.`);
      continue;
    }
    const existing = await ctx.db('upstream_oauth_links').first('upstream_oauth_link_id', 'user_id').where({ upstream_oauth_provider_id: providerId, subject: externalId });
    if (existing?.user_id) {
      const owner = await ctx.db('users').first('username').where({ user_id: existing.user_id });
      skip(`MAS already links that subject to its user "${String(owner?.username)}".`);
      continue;
    }
    if (existing !== undefined) {
      await ctx.db('upstream_oauth_links').where({ upstream_oauth_link_id: existing.upstream_oauth_link_id }).update({ user_id: userRowId });
      changes.push(`${account.localpart}: upstream link ${authProvider} (MAS provider ${provider.id}) subject ${externalId}, MAS's unclaimed link now given to it`);
    } else {
      // syn2mas dates a link at its user's creation.
      await ctx.db('upstream_oauth_links').insert({
        upstream_oauth_link_id: newMasId(createdMs),
        user_id: userRowId,
        upstream_oauth_provider_id: providerId,
        subject: externalId,
        created_at: new Date(createdMs),
      });
      changes.push(`${account.localpart}: upstream link ${authProvider} (MAS provider ${provider.id}) subject ${externalId}`);
    }
    carried++;
  }
  return carried;
}

/**
 * A compat session per Synapse device, as syn2mas writes them: MAS's sync-devices (which the
 * provision-user job queues) deletes from Synapse every device MAS has no active session for, and
 * with them their encryption keys. The sessions hold no token (see adoptIntoMas), so unlike
 * syn2mas's they do not carry is_synapse_admin: with no token it grants nothing, and it would only
 * make `demote --logout` count them as admin sessions and end them, deleting the devices.
 */
async function insertDevices(ctx: MasContext, account: SynapseAccount, userRowId: string, changes: string[]): Promise<number> {
  if (account.deactivated || account.isGuest) return 0;
  const now = ctx.now();
  for (const d of account.devices) {
    // syn2mas's creation time: the device's oldest token's last use, else now.
    const createdMs = usable(d.firstTokenAt, now);
    const ip = d.ip !== null && isIP(d.ip) !== 0 ? d.ip : null;
    await insertCompatSession(ctx, {
      userId: userRowId,
      deviceId: d.deviceId,
      createdMs,
      admin: false,
      lastActiveAt: d.lastSeen === null ? null : new Date(usable(d.lastSeen, createdMs)),
      lastActiveIp: ip,
      userAgent: d.userAgent,
      humanName: d.displayName,
    });
    changes.push(`${account.localpart}: compat session for device ${d.deviceId}${d.displayName ? ` ("${d.displayName}")` : ''}, without a token`);
  }
  return account.devices.length;
}

/**
 * Writes the MAS account for `account` in the caller's one MAS transaction: users, user_passwords,
 * user_emails (and unsupported third-party IDs), upstream_oauth_links, a compat session per device,
 * and a provision-user job. Synapse's access tokens are not carried: with MAS, Synapse has not
 * accepted them since the move, and reviving old (maybe leaked) tokens is not adopt's to decide.
 */
export async function adoptIntoMas(ctx: MasContext, account: SynapseAccount, input: AdoptInput): Promise<AdoptResult> {
  const res = await adoptUser(ctx, account, input);
  return { ...res, warnings: [...res.warnings, ...(await workerWarnings(ctx))] };
}

/** adoptIntoMas without the worker's state: apply adopts several users and says that once. */
export async function adoptUser(ctx: MasContext, account: SynapseAccount, input: AdoptInput): Promise<AdoptResult> {
  await refuseExistingMasUser(ctx, account);
  const now = ctx.now();
  const createdMs = usable(ms(account.creationTs), now);
  const userRowId = await insertUser(ctx, account, input, createdMs);
  const flags = [input.admin && 'may request admin', account.locked && 'locked', account.deactivated && 'deactivated', account.isGuest && 'guest'].filter(Boolean);
  const changes = [`created MAS user ${account.localpart} for the existing ${account.userId}${flags.length > 0 ? ` (${flags.join(', ')})` : ''}, dated ${new Date(createdMs).toISOString()}`];
  const warnings: string[] = [];
  const notes: string[] = [];
  if (account.creationTs === null) notes.push(`${account.userId} has no creation_ts in Synapse: its MAS account is dated now.`);
  if (input.password !== undefined) {
    // syn2mas dates the imported hash at the user's creation; a new password is made now.
    const at = input.password.source === 'synapse' ? createdMs : now;
    await insertMasPasswords(ctx, [{ userId: userRowId, hash: input.password.hash, version: input.password.version, createdAt: at }], now);
    changes.push(`${account.localpart}: ${input.password.source === 'synapse' ? "Synapse's password hash" : 'new password'} (scheme version ${input.password.version})`);
  }
  const threepids = await insertThreepids(ctx, account, userRowId, createdMs, changes, warnings);
  const links = await insertLinks(ctx, account, userRowId, createdMs, changes, warnings);
  const devices = await insertDevices(ctx, account, userRowId, changes);
  const jobs: AdoptResult['jobs'] = [];
  // Not for a deactivated user (nothing to bring over) nor a guest (syn2mas carries no guest
  // devices, so the sync-devices that follows would delete them from Synapse).
  if (!account.deactivated && !account.isGuest) {
    const ulid = ulidOf(userRowId);
    // set_display_name null: Synapse keeps the display name it has.
    const job = provisionUser({ ulid });
    jobs.push({ id: await scheduleJob(ctx, job), queue: job.queue });
    changes.push(
      `queued MAS job provision-user for ${ulid}: MAS's worker updates the existing ${account.userId} in Synapse ` +
        '(its email addresses as carried, its display name kept) and then syncs its devices to the carried ones',
    );
    notes.push(`${account.userId} can log in through MAS now; MAS's worker brings Synapse up to date within seconds, and nothing there is recreated.`);
  }
  if (account.accessTokens > 0) {
    notes.push(
      `${account.userId}'s ${account.accessTokens} Synapse access token(s) were not carried: with MAS, Synapse accepts only tokens MAS issued. ` +
        'Its devices are kept; the user logs in again on them.',
    );
  }
  if (input.admin && !account.deactivated) notes.push(`To act as admin right now, without an admin client, run \`issue-token ${account.localpart}\`.`);
  return {
    userId: account.userId,
    changed: true,
    changes,
    warnings,
    notes,
    jobs,
    adopted: {
      username: account.localpart,
      can_request_admin: input.admin,
      locked: account.locked,
      deactivated: account.deactivated,
      password: input.password?.source ?? null,
      password_version: input.password?.version ?? null,
      emails: threepids.emails,
      unsupported_threepids: threepids.others,
      upstream_links: links,
      devices,
      access_tokens_not_carried: account.accessTokens,
    },
  };
}
