// Registering a user in MAS's database as MAS's own registration would: the users row, its password,
// the admin permission, and a provision-user job so that MAS's worker creates the Synapse account.
import { UsageError, UserExistsError, UserNotFoundError } from '../errors.js';
import { setCanRequestAdmin, takeAdminAway, type MasOperationResult } from './admin-operations.js';
import { ulidOf } from './ids.js';
import { provisionUser, scheduleJob, workerWarnings } from './jobs.js';
import { inPolicyAdminUsers, lockedInMas } from './messages.js';
import type { MasContext } from './session.js';
import { assertActiveMasUser, findMasUser, insertMasPasswords, insertMasUsers, type MasUser } from './user-store.js';

// MAS's admin API (crates/handlers/src/admin/v1/users/add.rs) and its registration policy
// (policies/register/register.rego) together: lower case a-z, digits and = _ - . / +, no leading
// '_', not only digits, and at most 255 characters for the whole Matrix ID. These are stricter than
// Synapse's check_username, which MAS asks as well, so a name passing them passes Synapse's too.
const MAS_USERNAME = /^[a-z0-9=_\-./+]+$/;
const MAX_MXID_LENGTH = 255;
const MAS_RULE = "MAS allows only lower-case a-z, 0-9 and = _ - . / +, not a leading '_', not only digits, and at most 255 characters for the whole user ID";

/** Throws a UsageError naming MAS's rule when MAS would refuse `localpart` as a new username. */
export function validateMasUsername(localpart: string, serverName: string): void {
  const problem = !MAS_USERNAME.test(localpart)
    ? MAS_USERNAME.test(localpart.toLowerCase())
      ? `it is not lower case (use "${localpart.toLowerCase()}")`
      : 'it contains characters outside the allowed set'
    : localpart.startsWith('_')
      ? "it begins with '_' (reserved for application services)"
      : /^[0-9]+$/.test(localpart)
        ? 'it is only digits (reserved for guests)'
        : `@${localpart}:${serverName}`.length > MAX_MXID_LENGTH
          ? `@${localpart}:${serverName} is longer than ${MAX_MXID_LENGTH} characters`
          : undefined;
  if (problem !== undefined) {
    throw new UsageError(`"${localpart}" cannot be a new MAS username: ${problem}. ${MAS_RULE}.`);
  }
}

/** The change line of a new MAS user, as register and apply say it. */
export function createdMasUser(who: string, admin: boolean): string {
  return `created MAS user ${who}${admin ? ' (may request admin)' : ''}`;
}

/**
 * The Synapse account `userId` would collide with. MAS asks Synapse (is_localpart_available)
 * before registering, and Synapse refuses a name it has in any case; registering anyway would
 * hand that old Synapse account to whoever gets the MAS user, as provision-user updates an
 * existing account.
 */
export function takenInSynapseError(userId: string, synapseName: string): UserExistsError {
  const spelled = synapseName === userId ? '' : ` (as ${synapseName}: Synapse compares user IDs case-insensitively)`;
  return new UserExistsError(
    userId,
    `It is in Synapse's users table${spelled} but not in MAS; this is why MAS says "Username not available on homeserver". ` +
      `Choose another name. To give MAS that existing account, run \`adopt ${userId}\`.`,
  );
}

export interface MasRegisterInput {
  /** @localpart:server, for messages. */
  userId: string;
  localpart: string;
  admin: boolean;
  existsOk: boolean;
  /** provision-user's set_display_name: null lets Synapse use the localpart. */
  displayname: string | null;
}

/** A user_passwords row's content. */
export interface MasPasswordRow {
  hash: string;
  version: number;
}

/**
 * The existing MAS user `register` would act on, or undefined when it would create one; throws when
 * registering is refused. MAS finds users case-insensitively, so a name differing only in case is
 * taken. Call it before asking for a password, and registerMasUser calls it again in its transaction.
 */
export async function existingForMasRegister(ctx: MasContext, input: MasRegisterInput): Promise<MasUser | undefined> {
  const existing = await findMasUser(ctx, input.localpart);
  if (existing === undefined) return undefined;
  if (!input.existsOk) {
    throw new UserExistsError(
      input.userId,
      existing.username === input.localpart
        ? 'It is a MAS user: use `promote` or `set-password` on it, or pass --exists-ok.'
        : `MAS compares usernames case-insensitively and "${existing.username}" is taken. Choose another name, or pass --exists-ok to keep "${existing.username}".`,
    );
  }
  assertActiveMasUser(existing, 'apply --exists-ok to');
  return existing;
}

type RegisterResult = MasOperationResult & { created: boolean };

/** register --exists-ok on a MAS user that is there: can_request_admin as asked, nothing else. */
async function registerExisting(ctx: MasContext, user: MasUser, input: MasRegisterInput): Promise<RegisterResult> {
  const changes: string[] = [];
  const warnings: string[] = [];
  if (user.lockedAt !== null) {
    warnings.push(lockedInMas(user.username));
  }
  if (user.canRequestAdmin && !input.admin) {
    // --no-admin on an admin is a demotion (without --logout).
    const demotion = await takeAdminAway(ctx, user, false);
    changes.push(...demotion.changes);
    warnings.push(...demotion.heldWarnings, ...demotion.noAdminWarnings);
  } else {
    changes.push(...(await setCanRequestAdmin(ctx, user, input.admin)));
  }
  if (!input.admin && ctx.config.adminUsers.includes(user.username)) {
    warnings.push(inPolicyAdminUsers([user.username], ctx.config.files));
  }
  return { userId: `@${user.username}:${ctx.serverName}`, changed: changes.length > 0, changes, warnings, notes: [], jobs: [], created: false };
}

/** Creates the MAS user, or with --exists-ok applies --admin/--no-admin to the one that is there. */
export async function registerMasUser(ctx: MasContext, input: MasRegisterInput, password: MasPasswordRow | undefined): Promise<RegisterResult> {
  const existing = await existingForMasRegister(ctx, input);
  if (existing !== undefined) return registerExisting(ctx, existing, input);
  const now = ctx.now();
  const userRowId = (await insertMasUsers(ctx, [{ username: input.localpart, admin: input.admin }], now)).get(input.localpart);
  if (userRowId === undefined) {
    if (!input.existsOk) {
      throw new UserExistsError(input.userId, 'It was created in MAS while this command ran; run it again (with --exists-ok to accept it).');
    }
    const racer = await findMasUser(ctx, input.localpart);
    if (racer === undefined) throw new UserNotFoundError(input.userId, 'It was created and deleted while this command ran; run it again.');
    return registerExisting(ctx, racer, input);
  }
  const changes = [createdMasUser(input.localpart, input.admin)];
  if (password !== undefined) {
    await insertMasPasswords(ctx, [{ userId: userRowId, ...password }], now);
    changes.push(`${input.localpart}: password (scheme version ${password.version})`);
  }
  const job = provisionUser({ ulid: ulidOf(userRowId) }, input.displayname);
  const jobId = await scheduleJob(ctx, job);
  const named = input.displayname === null ? 'display name: the localpart' : `display name "${input.displayname}"`;
  changes.push(`queued MAS job provision-user for ${job.payload.user_id} (${named}): MAS's worker creates ${input.userId} in Synapse`);
  return {
    userId: input.userId,
    changed: true,
    changes,
    warnings: await workerWarnings(ctx),
    notes: [
      `MAS's worker creates the Synapse account within seconds (provision-user job); until then Synapse does not know ${input.userId}.`,
      ...(input.admin ? [`To act as admin right now, without an admin client, run \`issue-token ${input.localpart}\`.`] : []),
    ],
    jobs: [{ id: jobId, queue: job.queue }],
    created: true,
  };
}
