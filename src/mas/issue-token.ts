// An access token for the Matrix client API minted in MAS's database, as `mas-cli manage
// issue-compatibility-token` makes one: a compat session holding a device, and an `mct_` token in it.
// Synapse asks MAS about every such token (introspection) and learns the device from sync-devices.
import { AccountStateError, UsageError } from '../errors.js';
import { insertCompatSession } from './compat-sessions.js';
import type { MasConfig } from './config.js';
import { newMasId } from './ids.js';
import { scheduleJob, syncDevices, workerWarnings } from './jobs.js';
import { deactivatedInMas, lockedInMas } from './messages.js';
import type { MasContext } from './session.js';
import { lockUserForSync } from './set-password.js';
import { newCompatAccessToken, newCompatDeviceId, unscopableDeviceChar } from './tokens.js';
import { requireMasUser, type MasUser, type RequireOptions } from './user-store.js';

/**
 * Why MAS counts the user as an admin, if it does: can_request_admin, or policy.data.admin_users in
 * its config (the policy grants the admin scope to either).
 */
function masAdminSource(user: MasUser, config: Pick<MasConfig, 'adminUsers'>): 'can_request_admin' | 'policy.data.admin_users' | null {
  if (user.canRequestAdmin) return 'can_request_admin';
  if (config.adminUsers.includes(user.username)) return 'policy.data.admin_users';
  return null;
}

export interface MasIssueTokenOptions extends RequireOptions {
  /** null: the token never expires. */
  expiresInMs: number | null;
  /** --device-id, passed by checkMasDeviceId; generated as MAS generates them when absent. */
  deviceId?: string;
}

export interface MasIssuedToken {
  userId: string;
  username: string;
  accessToken: string;
  deviceId: string;
  expiresAtMs: number | null;
  /** compat_sessions.is_synapse_admin: the token carries Synapse's admin scope. */
  admin: boolean;
  adminSource: ReturnType<typeof masAdminSource>;
  /** Other active compat sessions of the user on the same device (--device-id), left alone. */
  sharedWith: number;
  changes: string[];
  warnings: string[];
  /** The sync-devices job that brings the device to Synapse. */
  job: { id: string; queue: string };
}

/** Refuses the users whose tokens MAS's introspection answers as inactive. */
function assertTokenUsable(user: MasUser): void {
  if (user.deactivatedAt !== null) {
    throw new AccountStateError(deactivatedInMas('issue a token for', user.username));
  }
  if (user.lockedAt !== null) {
    throw new AccountStateError(`Cannot issue a token for ${user.username}: ${lockedInMas(user.username)}`);
  }
}

// synapse/api/auth/mas.py answers 500 "Invalid device ID in introspection result" for a longer one.
const MAX_MAS_DEVICE_ID_LENGTH = 255;

/**
 * What a MAS token's device must be, on top of the checks for Synapse's own devices: checked by
 * the command before its transaction, so a refusal writes nothing.
 */
export function checkMasDeviceId(deviceId: string): void {
  const length = [...deviceId].length;
  if (length > MAX_MAS_DEVICE_ID_LENGTH) {
    throw new UsageError(
      `--device-id is ${length} characters long; Synapse refuses a MAS token whose device ID is longer than ${MAX_MAS_DEVICE_ID_LENGTH}. Give a shorter one.`,
    );
  }
  const bad = unscopableDeviceChar(deviceId);
  if (bad !== undefined) {
    throw new UsageError(
      `--device-id contains ${bad}, which MAS cannot put in the token's OAuth scope: unless both Synapse (1.126+) and MAS ` +
        '(0.15+) pass the device apart, MAS answers Synapse that the token is inactive (older MAS: an error), and every request with it fails. ' +
        'Give a device ID of printable ASCII without space, ", [, \\ or ~ (letters, digits and -._:/ are safe).',
    );
  }
}

export async function issueMasToken(ctx: MasContext, localpart: string, opts: MasIssueTokenOptions): Promise<MasIssuedToken> {
  const user = await requireMasUser(ctx, localpart, opts);
  assertTokenUsable(user);
  // Serialized with MAS's sync-devices for this user, as MAS's own logins are.
  await lockUserForSync(ctx, user);
  const now = ctx.now();
  const deviceId = opts.deviceId ?? newCompatDeviceId();
  // mas-cli's issue-compatibility-token adds a session on a device that is in use and leaves the
  // other session alone, like this tool's --device-id on Synapse's side; MAS's interactive login
  // would end it instead, logging that client out, which a recovery tool should not do unasked.
  const shared = await ctx
    .db('compat_sessions')
    .where({ user_id: user.id, device_id: deviceId })
    .whereNull('finished_at')
    .count({ n: '*' })
    .first();
  const sharedWith = Number(shared?.n ?? 0);
  const adminSource = masAdminSource(user, ctx.config);
  const admin = adminSource !== null;
  const sessionId = await insertCompatSession(ctx, { userId: user.id, deviceId, createdMs: now, admin });
  const accessToken = newCompatAccessToken();
  const expiresAtMs = opts.expiresInMs === null ? null : now + opts.expiresInMs;
  await ctx.db('compat_access_tokens').insert({
    compat_access_token_id: newMasId(now),
    compat_session_id: sessionId,
    access_token: accessToken,
    created_at: new Date(now),
    expires_at: expiresAtMs === null ? null : new Date(expiresAtMs),
  });
  const job = syncDevices(user);
  const jobId = await scheduleJob(ctx, job);
  const expiry = expiresAtMs === null ? 'never expires' : `expires ${new Date(expiresAtMs).toISOString()}`;
  const changes = [
    `${user.username}: compat session on device ${deviceId}${admin ? ' with Synapse admin rights' : ''}, access token (${expiry})`,
    `queued MAS job sync-devices for ${user.ulid}: MAS's worker adds device ${deviceId} to Synapse`,
  ];
  const warnings = [
    ...(admin
      ? []
      : [`${user.username} is not a MAS admin, so the token has no admin rights: the Admin API will answer 403. Run \`promote ${user.username}\` first if it should.`]),
    ...(sharedWith > 0
      ? [`Device ${deviceId} is also held by ${sharedWith} other active session(s) of ${user.username}; they keep working.`]
      : []),
    ...(await workerWarnings(ctx)),
  ];
  return {
    userId: `@${user.username}:${ctx.serverName}`,
    username: user.username,
    accessToken,
    deviceId,
    expiresAtMs,
    admin,
    adminSource,
    sharedWith,
    changes,
    warnings,
    job: { id: jobId, queue: job.queue },
  };
}
