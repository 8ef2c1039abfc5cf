// Access tokens in Synapse's own format, written so a running Synapse accepts them and does not
// trip over them.
import { crc32 } from 'node:zlib';
import { serializeToolWriters, sqlBool } from '../database/dialect.js';
import { AccountStateError, UsageError } from '../errors.js';
import { lockedInSynapse, reactivateHint } from './messages.js';
import { assertActiveAccount, localpartOf, requireUser, type UserContext } from './user-store.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * A running Synapse numbers access_tokens.id from an in-memory counter seeded with MAX(id) when it
 * started, so MAX(id) + 1 would collide with its next login. Jumping this far ahead leaves it room
 * for that many logins before a restart reseeds the counter above our row.
 */
export const TOKEN_ID_GAP = 1_000_000;

export type RandomBytes = (n: number) => Buffer;

function randomLetters(count: number, randomBytes: RandomBytes): string {
  let out = '';
  while (out.length < count) {
    for (const b of randomBytes(count * 2)) {
      // Rejection sampling keeps the letters uniform: 208 = 4 * 52.
      if (b < 208 && out.length < count) out += LETTERS[b % 52];
    }
  }
  return out;
}

function base62(num: number, minWidth: number): string {
  let res = '';
  for (let n = num; n > 0; n = Math.floor(n / 62)) res = BASE62[n % 62] + res;
  return res.padStart(minWidth, '0');
}

/** syt_<unpadded base64 localpart>_<20 random letters>_<base62 crc32>, as synapse/handlers/auth.py makes it. */
export function generateAccessToken(localpart: string, randomBytes: RandomBytes): string {
  const b64 = Buffer.from(localpart, 'utf8').toString('base64').replace(/=+$/, '');
  const base = `syt_${b64}_${randomLetters(20, randomBytes)}`;
  return `${base}_${base62(crc32(Buffer.from(base, 'ascii')), 6)}`;
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

// Long enough for any use, short enough that the expiry stays a valid date and BIGINT.
const MAX_LIFETIME_MS = 100 * 365 * UNIT_MS.d!;

/** "30m", "1h", "7d", "never" (null) */
export function parseDuration(text: string): number | null {
  if (text === 'never') return null;
  const m = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  const ms = m === null ? NaN : Number(m[1]) * UNIT_MS[m[2]!]!;
  if (!(ms > 0 && ms <= MAX_LIFETIME_MS)) {
    throw new UsageError(
      `--expires-in "${text}" is not a duration up to 100 years. Use a number and a unit (s, m, h, d, w) such as 30m, 1h or 7d, or "never".`,
    );
  }
  return ms;
}

export interface IssueTokenOptions {
  expiresInMs: number | null;
  deviceId?: string;
  randomBytes: RandomBytes;
  /**
   * For a token that only logs its user out: Synapse's /logout and /logout/all accept a locked
   * user's token (rest/client/logout.py, allow_locked=True); every other endpoint refuses it.
   */
  forLogout?: boolean;
}

export interface IssuedToken {
  userId: string;
  accessToken: string;
  expiresAtMs: number | null;
  deviceCreated: boolean;
  warnings: string[];
}

export async function issueToken(ctx: UserContext, userId: string, opts: IssueTokenOptions): Promise<IssuedToken> {
  const user = await requireUser(ctx, userId);
  assertActiveAccount(user, 'issue a token for', reactivateHint(user.name));
  // Synapse refuses a locked user's token (synapse/api/auth/internal.py); a suspended user's works.
  if (user.locked && opts.forLogout !== true) {
    throw new AccountStateError(`Cannot issue a token for ${user.name}: ${lockedInSynapse(user.name)}`);
  }
  // Before the device and MAX(id) are read: two runs at once must not take the same id or device.
  await serializeToolWriters(ctx.db);
  const now = ctx.now();
  const accessToken = generateAccessToken(localpartOf(user.name), opts.randomBytes);
  const expiresAtMs = opts.expiresInMs === null ? null : now + opts.expiresInMs;
  const deviceCreated = opts.deviceId !== undefined && (await ensureDevice(ctx, user.name, opts.deviceId));
  const max = await ctx.db('access_tokens').max({ m: 'id' }).first();
  const cols = ctx.schema.columns.access_tokens;
  await ctx.db('access_tokens').insert({
    id: Number(max?.m ?? 0) + TOKEN_ID_GAP,
    user_id: user.name,
    token: accessToken,
    device_id: opts.deviceId ?? null,
    valid_until_ms: expiresAtMs,
    puppets_user_id: null,
    ...(cols.has('last_validated') ? { last_validated: now } : {}),
    ...(cols.has('refresh_token_id') ? { refresh_token_id: null } : {}),
    ...(cols.has('used') ? { used: sqlBool(ctx.dialect, false) } : {}),
  });
  const warnings = user.admin
    ? []
    : [`${user.name} is not a server admin: the Admin API will answer 403. Run \`promote ${user.name}\` if it should be.`];
  return { userId: user.name, accessToken, expiresAtMs, deviceCreated, warnings };
}

async function ensureDevice(ctx: UserContext, userId: string, deviceId: string): Promise<boolean> {
  const existing = await ctx.db('devices').first('device_id').where({ user_id: userId, device_id: deviceId });
  if (existing !== undefined) return false;
  await ctx.db('devices').insert({
    user_id: userId,
    device_id: deviceId,
    display_name: 'synapse-admin-bootstrap',
    ...(ctx.schema.columns.devices.has('hidden') ? { hidden: sqlBool(ctx.dialect, false) } : {}),
  });
  return true;
}
