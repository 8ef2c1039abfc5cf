// What the tool says about Synapse accounts, each sentence once, for every command (and apply).

/** What the sentences need of an account (user-store.ts's UserRow has it). */
interface Account {
  name: string;
  deactivated: boolean;
  locked: boolean;
  suspended: boolean;
}

/** How to get out of having no admin, for every message that reports it. */
export const MAKE_AN_ADMIN = 'Make one with `promote <user>` or `register <user> --admin`.';

/** The hint of the not-found error on Synapse's tables. */
export function userNotFoundHint(userId: string): string {
  return `Check the spelling, or create it with \`register ${userId}\`.`;
}

/** How to bring a deactivated user back, said the same way by every command on Synapse and MAS alike. */
export function reactivateHint(user: string): string {
  return `Bring it back with \`set-password ${user} --reactivate\`.`;
}

/** A locked Synapse user, said by every command that touches one. */
export function lockedInSynapse(name: string): string {
  return `${name} is locked: Synapse refuses its logins and requests. Run \`unlock ${name}\` to clear it.`;
}

/** What a locked or suspended account means, said by every command that touches one. */
export function lockWarnings(user: Pick<Account, 'name' | 'locked' | 'suspended'>): string[] {
  return [
    ...(user.locked ? [lockedInSynapse(user.name)] : []),
    ...(user.suspended ? [`${user.name} is suspended: it cannot send messages, join rooms or change its profile. Run \`unlock ${user.name}\` to clear it.`] : []),
  ];
}

/** A deactivated Synapse user refused by `action`; `hint` says how to go on. */
export function deactivatedInSynapse(action: string, name: string, hint: string): string {
  return `Cannot ${action} ${name}: the account is deactivated. ${hint}`;
}

/** set-password --reactivate of a user that was not deactivated, on Synapse and MAS alike. */
export function nothingToReactivate(name: string): string {
  return `${name} was not deactivated; --reactivate had nothing to do.`;
}

export function unlockLeavesDeactivated(name: string): string {
  return `${name} is deactivated; unlocking does not bring it back. ${reactivateHint(name)}`;
}

/** After a change that took admin away (demote, register --exists-ok --no-admin, apply). */
export const NO_ADMIN_LEFT = `No usable server admin is left. ${MAKE_AN_ADMIN}`;

/** list-admins with no admin at all. */
export const NO_ADMIN = `There is no server admin. ${MAKE_AN_ADMIN}`;

/** The fix for an admin that cannot act: bringing it back beats making a new one. */
export function repairAdvice(admin: Pick<Account, 'name' | 'deactivated' | 'locked'>): string {
  if (admin.deactivated && admin.locked) {
    return `${admin.name} is deactivated and locked: run \`set-password ${admin.name} --reactivate\`, then \`unlock ${admin.name}\`.`;
  }
  if (admin.deactivated) return `${admin.name} is deactivated: run \`set-password ${admin.name} --reactivate\`.`;
  return `${admin.name} is locked: run \`unlock ${admin.name}\`.`;
}

/** check: no admin can act; `unusable` are the admins that cannot. */
export function noUsableAdmin(unusable: ReadonlyArray<Pick<Account, 'name' | 'deactivated' | 'locked'>>): string {
  return `No usable server admin (active and not locked). ${unusable.length > 0 ? unusable.map(repairAdvice).join(' ') : MAKE_AN_ADMIN}`;
}

/**
 * Password login off in the config (password_config): a new password logs no one in. Said by
 * register, set-password, apply and check; `user` is the user at hand, when there is one.
 */
export function passwordLoginOff(user: string | undefined): string {
  return (
    'Password login is off in this config (password_config), so a new password will not log anyone in. ' +
    `Use \`issue-token ${user ?? '<user>'}\` for Admin API access.`
  );
}

/** A running Synapse caches what was just changed: `cached` says what. */
export function restartAdvice(evidence: readonly string[], cached: string): string {
  return `Synapse looks like it is running (${evidence.join('; ')}). ${cached} Restart Synapse for the change to show.`;
}

/** demote --logout on Synapse: Synapse reads users.admin on every request, so no session keeps rights. */
export const LOGOUT_NOT_NEEDED = '--logout matters only with matrix-authentication-service; here demoting applies to every session at once.';

/** adopt where Synapse owns logins: its users are already where they belong. */
export function nothingToAdopt(configFiles: readonly string[]): string {
  return (
    `${configFiles.join(', ')} does not hand logins to matrix-authentication-service (no matrix_authentication_service.enabled ` +
    'or experimental_features.msc3861.enabled): Synapse itself owns its users, so there is nothing to adopt. Use `promote` or `set-password`.'
  );
}

/** What promote and demote say, whichever way (database or Admin API) the change went. */
export function adminFlagWords(name: string, admin: boolean): { done: string; unchanged: string } {
  return {
    done: admin ? `${name} is now a server admin.` : `${name} is no longer a server admin.`,
    unchanged: `${name} is ${admin ? 'already' : 'not'} a server admin; nothing to change.`,
  };
}

/** What unlock says, whichever way the change went. */
export function unlockWords(name: string, unshadowban: boolean): { done: string; unchanged: string } {
  return {
    done: `${name} is unlocked.`,
    unchanged: `${name} is not locked${unshadowban ? ', suspended or shadow-banned' : ' or suspended'}; nothing to change.`,
  };
}

/** The first words of set-password's summary, whichever way the change went. */
export function passwordSetWords(name: string, reactivated: boolean): string {
  return reactivated ? `${name} is active again, with the new password.` : `The password of ${name} is set.`;
}
