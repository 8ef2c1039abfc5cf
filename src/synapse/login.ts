// Synapse's rules for how users log in, each said once for every command that needs it.
import type { PasswordSettings } from '../config/types.js';

/** password_config.enabled (not only_for_reauth) and localdb_enabled: a password in Synapse's own table logs in. */
export function passwordLoginWorks(password: Pick<PasswordSettings, 'loginEnabled' | 'localdbEnabled'>): boolean {
  return password.loginEnabled && password.localdbEnabled;
}

/**
 * With matrix-authentication-service (matrix_authentication_service.enabled or MSC3861), MAS owns
 * logins: Synapse's admin flag, passwords and tokens in its own tables do not apply.
 */
export function delegatedAuthMessage(files: readonly string[]): string {
  return (
    `${files.join(', ')} hands logins to matrix-authentication-service, so Synapse's own admin flag, ` +
    'passwords and tokens do not apply. Use MAS instead, e.g. `mas-cli manage promote-admin <username>` ' +
    'and `mas-cli manage set-password <username>`.'
  );
}
