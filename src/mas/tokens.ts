// MAS's token and device id formats (facts: crates/data-model/src/tokens.rs). A compat access
// token is `mct_<30 alphanumerics>_<checksum>`; MAS rejects one whose checksum does not match.
import { randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';

const ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function randomAlphanumeric(length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return s;
}

/** CRC-32 of the token's body in base62, least significant digit first, padded to six with '0'. */
export function tokenChecksum(body: string): string {
  let n = crc32(body);
  let digits = '';
  while (n > 0) {
    digits += ALPHANUMERIC[n % 62];
    n = Math.floor(n / 62);
  }
  return digits.padStart(6, '0');
}

/** A new compat access token, as MAS issues them for the Matrix client API. */
export function newCompatAccessToken(): string {
  const body = `mct_${randomAlphanumeric(30)}`;
  return `${body}_${tokenChecksum(body)}`;
}

// MAS's own token kinds: OAuth access and refresh, compat access and refresh, personal access.
const MAS_PREFIXES = new Set(['mat', 'mar', 'mct', 'mcr', 'mpt']);

/**
 * True when MAS's format check (TokenType::check) passes `token` as one of its own: three parts
 * split on '_', a prefix MAS knows, 30 bytes, and a checksum that matches. (MAS also lets through
 * Synapse's syt_ tokens and macaroons, unchecked, for sessions migrated from Synapse: not ours.)
 */
export function isWellFormedMasToken(token: string): boolean {
  const parts = token.split('_');
  if (parts.length !== 3) return false;
  const [prefix, random, checksum] = parts as [string, string, string];
  return MAS_PREFIXES.has(prefix) && Buffer.byteLength(random) === 30 && tokenChecksum(`${prefix}_${random}`) === checksum;
}

/** A device id as MAS makes one for a compat session: ten random alphanumerics. */
export function newCompatDeviceId(): string {
  return randomAlphanumeric(10);
}

// MAS puts a compat session's device into the token's scope as urn:matrix:client:device:<id> (and
// the msc2967 form), and its scope-token parser (crates/oauth2-types/src/scope.rs) takes only
// '!', '#'..'Z' and ']'..'}': RFC 6749's NQCHAR, except that its ranges end one short, so '[' and
// '~' fail as well as space, '"', '\', controls and anything beyond ASCII. A device it cannot put
// there makes introspection answer "inactive" unless Synapse asks for the device apart (Synapse
// 1.126+, element-hq/synapse#18174).
const SCOPE_CHAR = /^[!#-Z\]-}]$/u;

/** The first character of `deviceId` MAS cannot carry in a scope, as `U+XXXX 'c'`, or undefined. */
export function unscopableDeviceChar(deviceId: string): string | undefined {
  const bad = [...deviceId].find((c) => !SCOPE_CHAR.test(c));
  if (bad === undefined) return undefined;
  const code = `U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return bad === ' ' ? `${code} (space)` : /\p{Cc}/u.test(bad) ? code : `${code} '${bad}'`;
}
