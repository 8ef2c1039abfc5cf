// What `adopt` reads of a Synapse account, in Synapse's database (only read): the columns and
// rows syn2mas reads for one user (crates/syn2mas/src/synapse_reader), so that the MAS account
// made from them is the one syn2mas would have made.
import { readBool } from '../database/dialect.js';
import { UserNotFoundError } from '../errors.js';
import { LOOKUP_BATCH, slices } from '../database/batches.js';
import { findUser, localpartOf, selectUsers, toUserRow, type UserContext } from '../synapse/user-store.js';

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

/** `rows` by their `key` column, each group in the rows' order. */
function group<T extends Record<string, unknown>>(rows: readonly T[], key: string): Map<string, T[]> {
  const by = new Map<string, T[]>();
  for (const r of rows) {
    const k = String(r[key]);
    const list = by.get(k);
    if (list === undefined) by.set(k, [r]);
    else list.push(r);
  }
  return by;
}

/** The account syn2mas would read for `userId`, or UserNotFoundError (exit 5). */
export async function readSynapseAccount(ctx: UserContext, userId: string): Promise<SynapseAccount> {
  const user = await findUser(ctx, userId);
  const [account] = user === undefined ? [] : await readSynapseAccounts(ctx, [user.name]);
  if (account === undefined) {
    throw new UserNotFoundError(
      userId,
      `Synapse's users table has no such user, so there is nothing to adopt. Check the spelling; a new user is made with \`register ${localpartOf(userId)}\`.`,
    );
  }
  return account;
}

/**
 * The accounts of users in Synapse's users table, by their names as stored (as findUser or apply's
 * readAccounts found them), a few set-based queries per slice rather than several per user. A name
 * the table no longer holds has no account.
 */
export async function readSynapseAccounts(ctx: UserContext, userIds: readonly string[]): Promise<SynapseAccount[]> {
  const out: SynapseAccount[] = [];
  for (const names of slices(userIds, LOOKUP_BATCH)) {
    const rows = group(await selectUsers(ctx).select('password_hash', 'creation_ts').whereIn('name', names), 'name');
    const threepids = group(
      await ctx.db('user_threepids').select('user_id', 'medium', 'address', 'added_at').whereIn('user_id', names).orderBy(['user_id', 'added_at', 'medium', 'address']),
      'user_id',
    );
    const externalIds = group(
      await ctx.db('user_external_ids').select('user_id', 'auth_provider', 'external_id').whereIn('user_id', names).orderBy(['user_id', 'auth_provider', 'external_id']),
      'user_id',
    );
    // syn2mas leaves out hidden devices (they hold cross-signing keys, and Synapse's device list
    // does not show them) and guests' shared 'guest_device'.
    const devices = group(
      await ctx
        .db('devices')
        .select('user_id', 'device_id', 'display_name', 'last_seen', 'ip', 'user_agent', 'hidden')
        .whereIn('user_id', names)
        .whereNot({ device_id: 'guest_device' })
        .orderBy(['user_id', 'device_id']),
      'user_id',
    );
    const firstTokens: Array<Record<string, unknown>> = await ctx
      .db('access_tokens')
      .select('user_id', 'device_id')
      .min({ first: 'last_validated' })
      .whereIn('user_id', names)
      .whereNull('puppets_user_id')
      .whereNotNull('device_id')
      .groupBy('user_id', 'device_id');
    const firstOf = new Map(firstTokens.map((t) => [`${String(t.user_id)}\n${String(t.device_id)}`, num(t.first)]));
    const tokenCounts: Array<Record<string, unknown>> = await ctx
      .db('access_tokens')
      .select('user_id')
      .count({ n: '*' })
      .whereIn('user_id', names)
      .whereNull('puppets_user_id')
      .groupBy('user_id');
    const tokens = new Map(tokenCounts.map((t) => [String(t.user_id), Number(t.n)]));
    for (const name of names) {
      const row = rows.get(name)?.[0];
      if (row === undefined) continue;
      const user = toUserRow(row);
      out.push({
        userId: name,
        localpart: name.slice(1, name.indexOf(':')),
        passwordHash: (row.password_hash as string | null) ?? null,
        admin: user.admin,
        deactivated: user.deactivated,
        locked: user.locked,
        isGuest: user.isGuest,
        appserviceId: user.appserviceId,
        creationTs: num(row.creation_ts),
        threepids: (threepids.get(name) ?? []).map((t) => ({ medium: String(t.medium), address: String(t.address), addedAt: Number(t.added_at) })),
        externalIds: (externalIds.get(name) ?? []).map((e) => ({ authProvider: String(e.auth_provider), externalId: String(e.external_id) })),
        devices: (devices.get(name) ?? [])
          .filter((d) => !readBool(d.hidden))
          .map((d) => ({
            deviceId: String(d.device_id),
            displayName: (d.display_name as string | null) ?? null,
            lastSeen: num(d.last_seen),
            ip: (d.ip as string | null) ?? null,
            userAgent: (d.user_agent as string | null) ?? null,
            firstTokenAt: firstOf.get(`${name}\n${String(d.device_id)}`) ?? null,
          })),
        accessTokens: tokens.get(name) ?? 0,
      });
    }
  }
  return out;
}

/** Synapse's own admins that `adopt` could take into MAS: not deactivated, not app services' users. */
export async function adoptableAdmins(ctx: UserContext): Promise<string[]> {
  const admins = (await selectUsers(ctx).where({ admin: 1 }).orderBy('name')).map(toUserRow);
  return admins.filter((a) => !a.deactivated && a.appserviceId === null).map((a) => a.name);
}
