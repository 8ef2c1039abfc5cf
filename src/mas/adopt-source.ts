// What `adopt` reads of a Synapse account, in Synapse's database (only read): the columns and
// rows syn2mas reads for one user (crates/syn2mas/src/synapse_reader), so that the MAS account
// made from them is the one syn2mas would have made.
import { readBool } from '../database/dialect.js';
import { UserNotFoundError } from '../errors.js';
import type { UserContext } from '../synapse/user-store.js';
import { findUser } from '../synapse/user-store.js';

export interface SynapseThreepid {
  medium: string;
  address: string;
  /** user_threepids.added_at, ms since the epoch. */
  addedAt: number;
}

export interface SynapseDevice {
  deviceId: string;
  displayName: string | null;
  /** devices.last_seen, ms since the epoch. */
  lastSeen: number | null;
  ip: string | null;
  userAgent: string | null;
  /** The oldest last_validated of the device's own access tokens: syn2mas's session creation time. */
  firstTokenAt: number | null;
}

export interface SynapseAccount {
  /** users.name as stored (its case may differ from what was asked). */
  userId: string;
  localpart: string;
  passwordHash: string | null;
  admin: boolean;
  deactivated: boolean;
  locked: boolean;
  isGuest: boolean;
  appserviceId: string | null;
  /** users.creation_ts in SECONDS since the epoch, as Synapse stores it; null on very old rows. */
  creationTs: number | null;
  threepids: SynapseThreepid[];
  externalIds: Array<{ authProvider: string; externalId: string }>;
  devices: SynapseDevice[];
  /** Access tokens of the user's own (not puppeted), which adopt does not carry. */
  accessTokens: number;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** The account syn2mas would read for `userId`, or UserNotFoundError (exit 5). */
export async function readSynapseAccount(ctx: UserContext, userId: string): Promise<SynapseAccount> {
  const user = await findUser(ctx, userId);
  if (user === undefined) {
    throw new UserNotFoundError(
      userId,
      "Synapse's users table has no such user, so there is nothing to adopt. Check the spelling; a new user is made with `register`.",
    );
  }
  const name = user.name;
  const row = await ctx.db('users').first('password_hash', 'creation_ts').where({ name });
  const threepids: Array<Record<string, unknown>> = await ctx
    .db('user_threepids')
    .select('medium', 'address', 'added_at')
    .where({ user_id: name })
    .orderBy(['added_at', 'medium', 'address']);
  const externalIds: Array<Record<string, unknown>> = await ctx
    .db('user_external_ids')
    .select('auth_provider', 'external_id')
    .where({ user_id: name })
    .orderBy(['auth_provider', 'external_id']);
  // syn2mas leaves out hidden devices (they hold cross-signing keys, and Synapse's device list
  // does not show them) and guests' shared 'guest_device'.
  const devices: Array<Record<string, unknown>> = await ctx
    .db('devices')
    .select('device_id', 'display_name', 'last_seen', 'ip', 'user_agent', 'hidden')
    .where({ user_id: name })
    .whereNot({ device_id: 'guest_device' })
    .orderBy('device_id');
  const firstTokens: Array<Record<string, unknown>> = await ctx
    .db('access_tokens')
    .select('device_id')
    .min({ first: 'last_validated' })
    .where({ user_id: name })
    .whereNull('puppets_user_id')
    .whereNotNull('device_id')
    .groupBy('device_id');
  const firstOf = new Map(firstTokens.map((t) => [String(t.device_id), num(t.first)]));
  const tokens = await ctx.db('access_tokens').count({ n: '*' }).where({ user_id: name }).whereNull('puppets_user_id').first();
  return {
    userId: name,
    localpart: name.slice(1, name.indexOf(':')),
    passwordHash: (row?.password_hash as string | null | undefined) ?? null,
    admin: user.admin,
    deactivated: user.deactivated,
    locked: user.locked,
    isGuest: user.isGuest,
    appserviceId: user.appserviceId,
    creationTs: num(row?.creation_ts),
    threepids: threepids.map((t) => ({ medium: String(t.medium), address: String(t.address), addedAt: Number(t.added_at) })),
    externalIds: externalIds.map((e) => ({ authProvider: String(e.auth_provider), externalId: String(e.external_id) })),
    devices: devices
      .filter((d) => !readBool(d.hidden))
      .map((d) => ({
        deviceId: String(d.device_id),
        displayName: (d.display_name as string | null) ?? null,
        lastSeen: num(d.last_seen),
        ip: (d.ip as string | null) ?? null,
        userAgent: (d.user_agent as string | null) ?? null,
        firstTokenAt: firstOf.get(String(d.device_id)) ?? null,
      })),
    accessTokens: Number(tokens?.n ?? 0),
  };
}
