// Hashing passwords exactly as MAS does for each of its schemes. (STUB: helper "mas-crypto" implements.)
import type { MasPasswordScheme, MasPasswords } from './config.js';

/** The scheme MAS hashes new passwords with: the highest version. */
export function currentScheme(passwords: MasPasswords): MasPasswordScheme {
  const scheme = passwords.schemes.at(-1);
  if (scheme === undefined) throw new Error('MAS passwords.schemes is empty');
  return scheme;
}

/** The string MAS stores in user_passwords.hashed_password for `password` under `scheme`. */
export async function hashMasPassword(_password: string, _scheme: MasPasswordScheme): Promise<string> {
  throw new Error('hashMasPassword: not implemented yet');
}

/** Whether `hash` (stored under `scheme`) is `password`, as MAS's login would decide. */
export async function verifyMasPassword(_password: string, _hash: string, _scheme: MasPasswordScheme): Promise<boolean> {
  throw new Error('verifyMasPassword: not implemented yet');
}

/** MAS's complexity score (zxcvbn, 0-4) for a new password; `userInputs` are the username etc. */
export function passwordScore(_password: string, _userInputs: string[]): number {
  throw new Error('passwordScore: not implemented yet');
}
