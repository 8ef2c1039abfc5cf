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

/** True when `token` has MAS's shape and its checksum matches (what MAS checks before lookup). */
export function isWellFormedMasToken(token: string): boolean {
  const m = /^(m[a-z]{2}_[A-Za-z0-9]{30})_([A-Za-z0-9]{6})$/.exec(token);
  return m !== null && tokenChecksum(m[1]!) === m[2];
}

/** A device id as MAS makes one for a compat session: ten random alphanumerics. */
export function newCompatDeviceId(): string {
  return randomAlphanumeric(10);
}
