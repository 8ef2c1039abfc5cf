// What the tool says about MAS accounts, each sentence once, for every command (and apply).
import { MAKE_AN_ADMIN, reactivateHint } from '../synapse/messages.js';

/** A locked MAS user, said by every command that touches one. */
export function lockedInMas(username: string): string {
  return `${username} is locked in MAS: MAS refuses its logins and tokens. Run \`unlock ${username}\` to clear it.`;
}

/** A deactivated MAS user, and how to bring it back. */
export function deactivatedInMas(action: string, username: string, hint = reactivateHint(username)): string {
  return `Cannot ${action} ${username}: the account is deactivated in MAS. ${hint}`;
}

export function unlockLeavesDeactivated(username: string): string {
  return `${username} is deactivated in MAS; unlocking does not bring it back. ${reactivateHint(username)}`;
}

/** Admin sessions outlive can_request_admin: said after demote and register --exists-ok --no-admin. */
export function adminSessionsHeld(username: string, sessions: string): string {
  return `${username} still holds ${sessions}: they keep admin rights until they end. Run \`demote ${username} --logout\` to end them.`;
}

/**
 * Users named in MAS's policy.data.admin_users may request admin rights whatever their flag says,
 * and no command here changes MAS's config: said by promote, demote, register and apply.
 */
export function inPolicyAdminUsers(usernames: readonly string[], configFiles: readonly string[]): string {
  const where = configFiles.length > 0 ? ` (${configFiles.join(', ')})` : '';
  const one = usernames.length === 1;
  return (
    `${usernames.join(', ')} ${one ? 'is' : 'are'} in policy.data.admin_users of MAS's config${where}: MAS lets ${one ? 'it' : 'them'} ` +
    `request admin rights whatever can_request_admin says. Remove ${one ? 'it' : 'them'} there too (and restart MAS) to take those rights away.`
  );
}

/** Why a user only Synapse has is stuck, said by check and the not-found error. */
export const SYNAPSE_ONLY_STUCK = 'it cannot log in (MAS owns logins), and MAS refuses to register the name ("Username not available on homeserver")';

/** For a user only Synapse has: how it gets a MAS account (check and the not-found error). */
export function adoptHint(localpart: string): string {
  return `Give it a MAS account with \`adopt ${localpart}\` (its password, emails and links carried, as syn2mas does).`;
}

/** The hint of the not-found error, worded by whether Synapse's users table has the user (undefined: unknown). */
export function masUserNotFoundHint(userId: string, localpart: string, inSynapse: boolean | undefined): string {
  const missing = `matrix-authentication-service (MAS), which owns this server's logins, has no user "${localpart}"`;
  if (inSynapse === true) {
    return (
      `${missing}, though Synapse's users table has ${userId}: it was made in Synapse (before the move to MAS, or ` +
      `through Synapse's Admin API), so ${SYNAPSE_ONLY_STUCK}. ${adoptHint(localpart)}`
    );
  }
  const where = inSynapse === false ? `; Synapse's users table has no ${userId} either` : '';
  return (
    `${missing}${where}. Check the spelling, or create it with \`register ${localpart}\` (a MAS user, its password and a ` +
    "provision-user job that makes the Synapse account), as MAS's `mas-cli manage register-user` would."
  );
}

/** After a change that took admin away. */
export const NO_ADMIN_LEFT = `No usable admin is left in MAS. ${MAKE_AN_ADMIN}`;

/** list-admins with no admin at all. */
export const NO_ADMIN = `No user may request admin rights in MAS. ${MAKE_AN_ADMIN}`;

/** check: no admin can act; `advice` is how to repair the ones that cannot. */
export function noUsableAdmin(advice: readonly string[]): string {
  return `No usable admin in MAS (a user who may request admin rights, not locked or deactivated). ${advice.join(' ') || MAKE_AN_ADMIN}`;
}

/** check with no usable MAS admin: Synapse's own admins that MAS has no user for, which `adopt` brings in. */
export function adoptSynapseAdmins(missing: readonly string[]): string {
  return `Synapse's admin ${missing.join(', ')} has no MAS account: run \`adopt ${missing[0]}\` to give it one (then \`issue-token\`).`;
}

/** Nothing reaches Synapse while no MAS worker runs; `lastSeen` is the newest heartbeat, if any. */
export function noWorkerSeen(lastSeen: string | null): string {
  const seen = lastSeen === null ? 'none has ever registered' : `the last heartbeat was at ${lastSeen}`;
  return (
    `No MAS worker has been seen in the last two minutes (queue_workers: ${seen}): what this changes in MAS's database ` +
    'reaches Synapse when MAS runs again (`mas-cli server`, or `mas-cli worker` next to a server started with --no-worker).'
  );
}

/** After apply adopted users: their Synapse accounts stay, and MAS's worker only updates them. */
export const ADOPTED_NOTE = "MAS's worker updates the adopted users' existing Synapse accounts from the provision-user jobs (nothing there is recreated).";

/** Synapse caches MAS's answer about a token; said wherever a change takes rights away. */
export const MAS_CACHE_NOTE =
  "Synapse keeps MAS's answer about a token for up to 2 minutes, so the change can take that long to show there; no restart is needed.";

/** One admin as list-admins and check mark it. */
export interface MarkedAdmin {
  username: string;
  in_mas: boolean | null;
  deactivated: boolean;
  locked: boolean;
  guest: boolean | null;
  sources: readonly string[];
}

export function adminMarks(a: MarkedAdmin): string[] {
  return [
    a.in_mas === false && 'no MAS user',
    a.deactivated && 'deactivated',
    a.locked && 'locked',
    a.guest === true && 'guest',
    a.sources.includes('policy.data.admin_users') && 'policy.data.admin_users',
  ].filter((m): m is string => typeof m === 'string');
}

/** The fix for an admin that cannot act: bringing it back beats making a new one. */
export function repairAdvice(a: MarkedAdmin): string {
  if (a.in_mas === false) return `${a.username} (policy.data.admin_users) has no MAS user: \`register ${a.username}\` (\`adopt ${a.username}\` if Synapse has it).`;
  if (a.deactivated) return `${a.username} is deactivated: run \`set-password ${a.username} --reactivate\`${a.locked ? `, then \`unlock ${a.username}\`` : ''}.`;
  if (a.locked) return `${a.username} is locked: run \`unlock ${a.username}\`.`;
  return `${a.username} is a guest account.`;
}

/** issue-token: Synapse maps a MAS token to @username:server and answers "User not found" without that row. */
export function notInSynapseYet(userId: string, username: string): string {
  return (
    `${userId} has no account in Synapse yet, so Synapse refuses the token ("User not found") until MAS's worker has ` +
    `provisioned it (a provision-user job, scheduled by \`register\` or \`unlock\`). \`check ${username}\` shows whether one is waiting.`
  );
}

/** Options a MAS server cannot honour: --user-type (register) and user_type (apply's file). */
const NO_USER_TYPES = 'MAS has no user types, and the Synapse account it provisions gets none';
export const USER_TYPE_REFUSED = `--user-type has no meaning with matrix-authentication-service: ${NO_USER_TYPES}. Leave it out.`;
export const USER_TYPE_KEY_REFUSED = `${NO_USER_TYPES}: leave user_type out`;
export const LIVE_ALWAYS_REFUSED =
  "--live always asks for Synapse's Admin API, which this tool does not use when matrix-authentication-service owns logins: " +
  "MAS's worker carries each change to Synapse, with no restart. Leave --live out (or say --live auto).";

export const UNSHADOWBAN_REFUSED =
  "--unshadowban has no meaning with matrix-authentication-service: MAS has no shadow ban, and on such a server this tool changes only MAS's database. Leave it out.";
