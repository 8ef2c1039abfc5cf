// Hashing and checking passwords exactly as MAS does (facts: MAS crates/handlers/src/passwords.rs at
// v1.22, which uses RustCrypto argon2 0.5.3, pbkdf2 0.12.2, password-hash 0.5.0, bcrypt 0.18.0 and
// zxcvbn 3.1.1). Libraries: npm argon2 (the reference C implementation), bcrypt (OpenBSD's code, the
// one Synapse's side already uses), node:crypto for PBKDF2, zxcvbn (Dropbox's JS, which the Rust
// crate ports). What is ours is the byte handling around them and the PHC strings, which must look
// exactly like MAS's own rows.
import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import type Zxcvbn from 'zxcvbn';
import { ConfigError } from '../errors.js';
import type { MasPasswordScheme, MasPasswords } from './config.js';

// The hash libraries and zxcvbn's dictionaries load only in a command that hashes or scores a
// password for MAS: the others should not pay for them at start-up.
const argon2Library = async () => (await import('argon2')).default;
const bcryptLibrary = async () => (await import('bcrypt')).default;
const requireOnUse = createRequire(import.meta.url);
const zxcvbn = (password: string) => (requireOnUse('zxcvbn') as typeof Zxcvbn)(password);

const pbkdf2Async = promisify(pbkdf2);

/** The scheme MAS hashes new passwords with: the highest version. */
export function currentScheme(passwords: MasPasswords): MasPasswordScheme {
  const scheme = passwords.schemes.at(-1);
  if (scheme === undefined) throw new Error('MAS passwords.schemes is empty');
  return scheme;
}

// argon2 0.5's defaults, which MAS uses and cannot configure.
const ARGON2 = { m: 19456, t: 2, p: 1, version: 0x13, hashLength: 32 } as const;
// pbkdf2 0.12.2's defaults (Params::default), which MAS uses.
const PBKDF2 = { rounds: 600_000, length: 32 } as const;
// Every MAS salt is 16 random bytes (SaltString::generate, bcrypt's salt).
const SALT_BYTES = 16;
// rust-bcrypt NUL-terminates the password and keeps the first 72 bytes: a longer password is cut,
// not refused (MAS calls the truncating hash_with_salt and verify, not the non_truncating ones).
const BCRYPT_MAX_BYTES = 72;

/**
 * The bytes MAS hashes: the password as UTF-8, NFKC first when the scheme asks. MAS normalizes with
 * icu_normalizer and we with V8's ICU; they can differ only for characters one Unicode version has
 * and the other does not yet.
 */
function passwordBytes(password: string, scheme: MasPasswordScheme): Buffer {
  return Buffer.from(scheme.unicodeNormalization ? password.normalize('NFKC') : password, 'utf8');
}

/** bcrypt and pbkdf2 take the pepper appended to the password bytes (argon2 takes it as its secret). */
function peppered(bytes: Buffer, scheme: MasPasswordScheme): Buffer {
  return scheme.secret === undefined ? bytes : Buffer.concat([bytes, scheme.secret]);
}

/** PHC strings use standard base64 without padding (password-hash's B64). */
function b64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}

/**
 * Decodes password-hash's B64 as strictly as its base64ct does: Node's decoder accepts padding,
 * the URL-safe alphabet and stray bits, so only what re-encodes to the same text is accepted.
 */
function strictB64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return b64(bytes) === text ? bytes : undefined;
}

/** The string MAS stores in user_passwords.hashed_password for `password` under `scheme`. */
export async function hashMasPassword(password: string, scheme: MasPasswordScheme): Promise<string> {
  return hashMasPasswordWithSalt(password, scheme, randomBytes(SALT_BYTES));
}

/** hashMasPassword with a given 16-byte salt, so MAS's own vectors can be reproduced. */
export async function hashMasPasswordWithSalt(password: string, scheme: MasPasswordScheme, salt: Buffer): Promise<string> {
  if (salt.length !== SALT_BYTES) throw new Error(`MAS salts are ${SALT_BYTES} bytes, got ${salt.length}`);
  const bytes = passwordBytes(password, scheme);
  switch (scheme.algorithm) {
    case 'argon2id': {
      const argon2 = await argon2Library();
      const hash = await argon2.hash(bytes, {
        type: argon2.argon2id,
        version: ARGON2.version,
        memoryCost: ARGON2.m,
        timeCost: ARGON2.t,
        parallelism: ARGON2.p,
        hashLength: ARGON2.hashLength,
        salt,
        ...(scheme.secret === undefined ? {} : { secret: scheme.secret }),
        raw: true,
      });
      // MAS's order (m, t, p); the argon2 package would write m, p, t.
      return `$argon2id$v=19$m=${ARGON2.m},t=${ARGON2.t},p=${ARGON2.p}$${b64(salt)}$${b64(hash)}`;
    }
    case 'bcrypt': {
      const cost = bcryptCost(scheme);
      return (await bcryptLibrary()).hash(bcryptBytes(bytes, scheme), `$2b$${String(cost).padStart(2, '0')}$${bcryptB64(salt)}`);
    }
    case 'pbkdf2': {
      const hash = await pbkdf2Async(peppered(bytes, scheme), salt, PBKDF2.rounds, PBKDF2.length, 'sha256');
      return `$pbkdf2-sha256$i=${PBKDF2.rounds},l=${PBKDF2.length}$${b64(salt)}$${b64(hash)}`;
    }
  }
}

/**
 * Whether `hash` (stored under `scheme`) is `password`, as MAS's login would decide. A hash MAS
 * could not even parse (its login fails with an error rather than "wrong password") is false too.
 */
export async function verifyMasPassword(password: string, hash: string, scheme: MasPasswordScheme): Promise<boolean> {
  const bytes = passwordBytes(password, scheme);
  try {
    switch (scheme.algorithm) {
      case 'argon2id':
        return await verifyArgon2(bytes, hash, scheme);
      case 'bcrypt':
        return await verifyBcrypt(bytes, hash, scheme);
      case 'pbkdf2':
        return await verifyPbkdf2(bytes, hash, scheme);
    }
  } catch {
    // The libraries refuse parameters out of range (memory, rounds, lengths), as MAS's do.
    return false;
  }
}

/** The score MAS gives a new password: zxcvbn's 0-4, with no user inputs (MAS passes none). */
export function passwordScore(password: string): number {
  // The Rust crate scores only the first 100 characters (Unicode scalar values).
  return zxcvbn(asOneUnitEach([...password].slice(0, 100))).score;
}

// The sequence matcher's reach: consecutive characters whose codes differ by at most this much.
const SEQUENCE_MAX_DELTA = 5;

/**
 * The Rust crate counts characters where Dropbox's JS counts UTF-16 units, so a character outside
 * the BMP (an emoji) would count twice here and score higher ('𐰊𐰂𐰄𐰀𐰁': 1 in Rust, 3 in the JS).
 * Each such character becomes one private-use character instead, which no dictionary, keyboard or
 * date pattern knows either: the same character always the same one, in the same order, with
 * differences up to the sequence matcher's reach kept exactly and larger ones kept larger, away
 * from the password's own BMP characters.
 */
function asOneUnitEach(chars: string[]): string {
  const codes = chars.map((c) => c.codePointAt(0)!);
  const astral = [...new Set(codes.filter((cp) => cp > 0xffff))].sort((a, b) => a - b);
  if (astral.length === 0) return chars.join('');
  const offsets = new Map<number, number>();
  let offset = 0;
  astral.forEach((cp, i) => {
    if (i > 0) offset += Math.min(cp - astral[i - 1]!, SEQUENCE_MAX_DELTA + 1);
    offsets.set(cp, offset);
  });
  const gap = SEQUENCE_MAX_DELTA + 1;
  let base = 0xe000 + gap;
  for (const cp of codes.filter((c) => c <= 0xffff).sort((a, b) => a - b)) {
    if (cp > base - gap && cp < base + offset + gap) base = cp + gap;
  }
  // Only a password crowding the private-use area leaves no room; then a sequence may be missed.
  if (base + offset > 0xf8ff) base = 0xe000;
  return codes.map((cp) => String.fromCharCode(cp > 0xffff ? base + offsets.get(cp)! : cp)).join('');
}

/** MAS's test: the score reaches passwords.minimum_complexity. */
export function isComplexEnough(password: string, passwords: MasPasswords): boolean {
  return passwordScore(password) >= passwords.minimumComplexity;
}

// ---- argon2 and pbkdf2: PHC strings as password-hash 0.5 parses them ----

interface Phc {
  algorithm: string;
  version?: number;
  params: Map<string, string>;
  salt?: string;
  hash?: Buffer;
}

const IDENT = /^[a-z0-9-]{1,32}$/;
const PARAM_VALUE = /^[A-Za-z0-9/+.-]{1,64}$/;

/** password-hash's Decimal: digits, no leading zero, fits in u32. */
function decimal(text: string | undefined): number | undefined {
  if (text === undefined || !/^(0|[1-9][0-9]*)$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 0xffff_ffff ? n : undefined;
}

/** `$alg[$v=N][$name=value,...][$salt[$hash]]`, or undefined where password-hash refuses it. */
function parsePhc(text: string): Phc | undefined {
  const fields = text.split('$');
  if (fields.shift() !== '') return undefined;
  const algorithm = fields.shift();
  if (algorithm === undefined || !IDENT.test(algorithm)) return undefined;
  const phc: Phc = { algorithm, params: new Map() };
  let field = fields.shift();
  if (field?.startsWith('v=') && !field.includes(',')) {
    phc.version = decimal(field.slice(2));
    if (phc.version === undefined) return undefined;
    field = fields.shift();
  }
  if (field?.includes('=')) {
    for (const pair of field.split(',')) {
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (eq < 0 || !IDENT.test(name) || !PARAM_VALUE.test(value) || phc.params.has(name)) return undefined;
      phc.params.set(name, value);
    }
    field = fields.shift();
  }
  if (field !== undefined) {
    if (!/^[A-Za-z0-9+/]{4,64}$/.test(field)) return undefined;
    phc.salt = field;
  }
  field = fields.shift();
  if (field !== undefined) {
    phc.hash = strictB64(field);
    if (phc.hash === undefined || phc.hash.length < 10 || phc.hash.length > 64) return undefined;
  }
  return fields.length === 0 ? phc : undefined;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const ARGON2_VARIANTS = new Set(['argon2d', 'argon2i', 'argon2id'] as const);
type Argon2Variant = typeof ARGON2_VARIANTS extends Set<infer V> ? V : never;
const isArgon2Variant = (name: string): name is Argon2Variant => ARGON2_VARIANTS.has(name as Argon2Variant);

/**
 * argon2 0.5 verifies with what the stored string says (variant, version, m/t/p by name in any
 * order, hash length), not with its defaults; only the secret comes from the config.
 */
async function verifyArgon2(bytes: Buffer, stored: string, scheme: MasPasswordScheme): Promise<boolean> {
  const phc = parsePhc(stored);
  if (phc?.salt === undefined || phc.hash === undefined || !isArgon2Variant(phc.algorithm)) return false;
  const argon2 = await argon2Library();
  const type = argon2[phc.algorithm];
  const version = phc.version ?? ARGON2.version;
  if (version !== 0x10 && version !== 0x13) return false;
  const cost: Record<'m' | 't' | 'p', number> = { m: ARGON2.m, t: ARGON2.t, p: ARGON2.p };
  let associatedData: Buffer | undefined;
  for (const [name, value] of phc.params) {
    if (name === 'm' || name === 't' || name === 'p') {
      const n = decimal(value);
      if (n === undefined) return false;
      cost[name] = n;
    } else if (name === 'data') {
      associatedData = strictB64(value);
      if (associatedData === undefined) return false;
    } else if (name !== 'keyid') {
      // keyid is carried, never hashed; any other name is refused.
      return false;
    }
  }
  const salt = strictB64(phc.salt);
  if (salt === undefined) return false;
  const computed = await argon2.hash(bytes, {
    type,
    version,
    memoryCost: cost.m,
    timeCost: cost.t,
    parallelism: cost.p,
    hashLength: phc.hash.length,
    salt,
    ...(scheme.secret === undefined ? {} : { secret: scheme.secret }),
    ...(associatedData === undefined ? {} : { associatedData }),
    raw: true,
  });
  return sameBytes(computed, phc.hash);
}

// The pbkdf2 crate as MAS builds it (no sha1 feature).
const PBKDF2_DIGESTS: Record<string, string> = { 'pbkdf2-sha256': 'sha256', 'pbkdf2-sha512': 'sha512' };

async function verifyPbkdf2(bytes: Buffer, stored: string, scheme: MasPasswordScheme): Promise<boolean> {
  const phc = parsePhc(stored);
  const digest = phc && PBKDF2_DIGESTS[phc.algorithm];
  if (phc?.salt === undefined || phc.hash === undefined || digest === undefined || phc.version !== undefined) return false;
  let rounds: number = PBKDF2.rounds;
  let length: number = PBKDF2.length;
  for (const [name, value] of phc.params) {
    const n = decimal(value);
    if (n === undefined || (name !== 'i' && name !== 'l')) return false;
    if (name === 'i') rounds = n;
    // An explicit l must match the stored hash; without one the crate computes 32 bytes.
    else if (n !== phc.hash.length) return false;
    else length = n;
  }
  const salt = strictB64(phc.salt);
  if (salt === undefined) return false;
  const computed = await pbkdf2Async(peppered(bytes, scheme), salt, rounds, length, digest);
  return sameBytes(computed, phc.hash);
}

// ---- bcrypt ----

function bcryptCost(scheme: MasPasswordScheme): number {
  const cost = scheme.cost;
  if (Number.isInteger(cost) && cost >= 4 && cost <= 31) return cost;
  throw new ConfigError(
    `MAS passwords scheme version ${scheme.version} (bcrypt) has cost ${cost}, but bcrypt takes 4 to 31, so MAS ` +
      'cannot hash passwords with it either. Fix `cost` in MAS config (12 is the default).',
  );
}

function bcryptBytes(bytes: Buffer, scheme: MasPasswordScheme): Buffer {
  return peppered(bytes, scheme).subarray(0, BCRYPT_MAX_BYTES);
}

// bcrypt's base64 packs bits like the standard one, with its own alphabet and no padding.
const STANDARD_B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BCRYPT_B64 = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function bcryptB64(bytes: Buffer): string {
  return [...b64(bytes)].map((c) => BCRYPT_B64[STANDARD_B64.indexOf(c)]).join('');
}

// rust-bcrypt's split_hash: `$`-separated, empty parts skipped; prefix 2a, 2b, 2x or 2y (all
// computed alike), then 22 salt and 31 hash characters. Salt and hash must decode strictly, so
// their last characters carry no stray bits.
const BCRYPT_HASH = /^([./A-Za-z0-9]{21}[.Oeu])([./A-Za-z0-9]{30}[.CGKOSWaeimquy26])$/;

async function verifyBcrypt(bytes: Buffer, stored: string, scheme: MasPasswordScheme): Promise<boolean> {
  const parts = stored.split('$').filter((part) => part !== '');
  if (parts.length !== 3 || !['2a', '2b', '2x', '2y'].includes(parts[0]!) || !/^[0-9]+$/.test(parts[1]!)) return false;
  const cost = Number(parts[1]);
  const m = BCRYPT_HASH.exec(parts[2]!);
  if (m === null || cost < 4 || cost > 31) return false;
  // OpenBSD's code reads only $2a$/$2b$; with the input cut to 72 bytes every prefix computes the same.
  const computed = await (await bcryptLibrary()).hash(bcryptBytes(bytes, scheme), `$2b$${String(cost).padStart(2, '0')}$${m[1]}`);
  return sameBytes(Buffer.from(computed.slice(-31)), Buffer.from(m[2]!));
}

// ---- which scheme can check a hash ----

/**
 * The algorithm whose MAS verifier would parse `hash` (argon2: an argon2 PHC string with salt and
 * hash and only m/t/p/keyid/data; pbkdf2: pbkdf2-sha256/-sha512 with only i/l; bcrypt: rust-bcrypt's
 * split), or undefined when none would: such a row could never log anyone in.
 */
export function masHashAlgorithm(hash: string): MasPasswordScheme['algorithm'] | undefined {
  if (hash.startsWith('$2')) {
    const parts = hash.split('$').filter((part) => part !== '');
    const cost = Number(parts[1]);
    const ok =
      parts.length === 3 && ['2a', '2b', '2x', '2y'].includes(parts[0]!) && /^[0-9]+$/.test(parts[1]!) && cost >= 4 && cost <= 31 && BCRYPT_HASH.test(parts[2]!);
    return ok ? 'bcrypt' : undefined;
  }
  const phc = parsePhc(hash);
  if (phc?.salt === undefined || phc.hash === undefined || strictB64(phc.salt) === undefined) return undefined;
  const names = [...phc.params.keys()];
  const decimals = [...phc.params.entries()].every(([name, value]) => name === 'keyid' || name === 'data' || decimal(value) !== undefined);
  if (isArgon2Variant(phc.algorithm)) {
    const version = phc.version ?? ARGON2.version;
    const ok = (version === 0x10 || version === 0x13) && decimals && names.every((n) => ['m', 't', 'p', 'keyid', 'data'].includes(n));
    return ok ? 'argon2id' : undefined;
  }
  if (phc.algorithm in PBKDF2_DIGESTS) {
    const length = phc.params.get('l');
    const ok = phc.version === undefined && decimals && names.every((n) => n === 'i' || n === 'l') && (length === undefined || Number(length) === phc.hash.length);
    return ok ? 'pbkdf2' : undefined;
  }
  return undefined;
}
