// Password hashes and policy exactly as Synapse computes and checks them
// (synapse/handlers/auth.py AuthHandler.hash / validate_hash, synapse/handlers/password_policy.py).
import { ConfigError } from '../errors.js';
import type { PasswordPolicy, PasswordSettings } from '../config/types.js';

export type HashSettings = Pick<PasswordSettings, 'pepper' | 'bcryptRounds' | 'bcryptRoundsFile'>;

// bcrypt reads at most 72 bytes. Synapse cuts the bytes itself before calling bcrypt, because
// Python's bcrypt 5 raises on longer input instead of ignoring the rest; the cut is by bytes and
// may split a multibyte character, so we cut the same bytes rather than trusting a library's cap.
const BCRYPT_MAX_BYTES = 72;

/** The bytes Synapse hands to bcrypt: utf8(NFKC(password)) + utf8(pepper), first 72 bytes. */
export function synapsePasswordBytes(password: string, pepper: string): Buffer {
  const bytes = Buffer.concat([
    Buffer.from(password.normalize('NFKC'), 'utf8'),
    Buffer.from(pepper, 'utf8'),
  ]);
  return bytes.subarray(0, BCRYPT_MAX_BYTES);
}

/** bcrypt_rounds as a cost bcrypt takes; only hashing needs it, as only Synapse's hashing does. */
export function bcryptCost(settings: Pick<HashSettings, 'bcryptRounds' | 'bcryptRoundsFile'>): number {
  const rounds = settings.bcryptRounds;
  // Python's bcrypt.gensalt refuses the same (a str or float with TypeError, the rest with
  // ValueError), so Synapse fails on this setting the first time it hashes a password.
  if (typeof rounds === 'number' && Number.isInteger(rounds) && rounds >= 4 && rounds <= 31) return rounds;
  const what = typeof rounds === 'string' ? 'is a string (quoted)' : `is ${JSON.stringify(rounds)}`;
  throw new ConfigError(
    `bcrypt_rounds in ${settings.bcryptRoundsFile ?? 'the config'} ${what}, but bcrypt needs a whole number from 4 to 31, ` +
      'so Synapse cannot hash passwords with it either. Write it unquoted, e.g. bcrypt_rounds: 12 (the default).',
  );
}

/** The native addon is loaded by the commands that hash or check a password, and only then. */
async function bcrypt() {
  return (await import('bcrypt')).default;
}

export async function hashPassword(password: string, settings: HashSettings): Promise<string> {
  const cost = bcryptCost(settings);
  const lib = await bcrypt();
  return lib.hash(synapsePasswordBytes(password, settings.pepper), await lib.genSalt(cost, 'b'));
}

/** Would Synapse accept `password` at login against `hash`? */
export async function checkPassword(
  password: string,
  hash: string | null | undefined,
  settings: Pick<PasswordSettings, 'pepper'>,
): Promise<boolean> {
  if (!hash) return false;
  return (await bcrypt()).compare(synapsePasswordBytes(password, settings.pepper), hash);
}

// Synapse applies the policy to the password as given (before NFKC), with ASCII-only classes:
// any character that is not an ASCII letter or digit counts as a symbol, 'É' is not upper case.
const DIGIT = /[0-9]/;
const SYMBOL = /[^a-zA-Z0-9]/;
const UPPERCASE = /[A-Z]/;
const LOWERCASE = /[a-z]/;

/** Every way `password` breaks password_config.policy, in Synapse's words; empty when it passes. */
export function checkPolicy(password: string, policy: PasswordPolicy): string[] {
  if (!policy.enabled) return [];
  const problems: string[] = [];
  // Python's len() counts code points, not UTF-16 units.
  if ([...password].length < policy.minimumLength) {
    problems.push(`The password must be at least ${policy.minimumLength} characters long`);
  }
  if (policy.requireDigit && !DIGIT.test(password)) {
    problems.push('The password must include at least one digit');
  }
  if (policy.requireSymbol && !SYMBOL.test(password)) {
    problems.push('The password must include at least one symbol');
  }
  if (policy.requireUppercase && !UPPERCASE.test(password)) {
    problems.push('The password must include at least one uppercase letter');
  }
  if (policy.requireLowercase && !LOWERCASE.test(password)) {
    problems.push('The password must include at least one lowercase letter');
  }
  return problems;
}
