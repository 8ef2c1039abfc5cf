// How set-password gets its password on every store, in one order: the user is looked at first,
// so that an unknown or deactivated user is refused before anyone types a password for it; a
// password nobody has to type is read and hashed meanwhile (hashing takes most of the command's
// time, on a thread of its own), its errors said only after the look at the user.
import { passwordSourceGiven } from '../passwords/new-password.js';
import type { PasswordFlags } from '../passwords/input.js';

export async function passwordAfterLookup<P>(flags: PasswordFlags, obtain: () => Promise<P>, lookup: () => Promise<unknown>): Promise<P> {
  const early = passwordSourceGiven(flags) ? obtain() : undefined;
  early?.catch(() => {});
  await lookup();
  return early ?? obtain();
}
