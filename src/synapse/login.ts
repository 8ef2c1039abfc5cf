// Synapse's rules for how users log in, each said once for every command that needs it.
import type { PasswordSettings } from '../config/types.js';

/** password_config.enabled (not only_for_reauth) and localdb_enabled: a password in Synapse's own table logs in. */
export function passwordLoginWorks(password: Pick<PasswordSettings, 'loginEnabled' | 'localdbEnabled'>): boolean {
  return password.loginEnabled && password.localdbEnabled;
}
