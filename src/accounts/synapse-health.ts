// check's look at Synapse: config, database, schema, admins, login methods, whether it runs. On a
// server whose logins belong to MAS it is the first half of the report (mas-health.ts the rest).
import { describeDatabase } from '../database/settings.js';
import { ToolError } from '../errors.js';
import { detectRunningSynapse } from '../synapse/live-server.js';
import { passwordLoginWorks } from '../synapse/login.js';
import { noUsableAdmin, passwordLoginOff } from '../synapse/messages.js';
import type { ParsedUser } from '../synapse/user-id.js';
import { countUsers, findUser } from '../synapse/user-store.js';
import type { Health, StoreDeps, SynapseAccess } from './store.js';
import type { JsonOf } from './json-shapes.js';
import { LEFTOVER_HELPERS, leftoverHelpers } from '../synapse/live-helpers.js';

/** check's keys before the store adds `mas` and withUsers `users_checked`. */
type SynapseHalfData = Omit<JsonOf<'check'>, 'mas' | 'users_checked'>;

/** Synapse's half of check; with MAS owning logins, Synapse's admin flag is only reported (MAS's admins count). */
export async function synapseHalf(db: SynapseAccess, deps: StoreDeps): Promise<Health<SynapseHalfData>> {
  const { config } = db;
  const live = await detectRunningSynapse(config, {});
  const data: SynapseHalfData = {
    config_files: config.files,
    server_name: config.serverName,
    engine: config.database.engine,
    database: describeDatabase(config.database),
    password_login: passwordLoginWorks(config.password),
    delegated_auth: config.delegatedAuth,
    synapse_running: live.running,
    synapse_running_evidence: live.evidence,
    synapse_running_notes: live.notes,
    connected: null,
    schema_version: null,
    compat_version: null,
    users: null,
    admins: null,
    usable_admins: null,
    live_helpers_left: null,
  };
  let problem: ToolError | undefined;
  try {
    const { schema, counts, helpers } = await db.read(async (ctx) => ({
      schema: ctx.schema,
      counts: await countUsers(ctx),
      helpers: await leftoverHelpers(ctx),
    }));
    if (helpers.length > 0) deps.out.warn(LEFTOVER_HELPERS(helpers));
    Object.assign(data, {
      connected: true,
      schema_version: schema.version,
      compat_version: schema.compatVersion,
      users: counts.users,
      admins: counts.admins,
      usable_admins: counts.usableAdmins,
      live_helpers_left: helpers,
    });
    if (counts.usableAdmins === 0 && !config.delegatedAuth) problem = new ToolError(noUsableAdmin(counts.unusableAdmins), 'no_admin');
  } catch (err) {
    if (!(err instanceof ToolError)) throw err;
    data.connected = err.kind !== 'database_unreachable';
    problem = err;
  }
  if (!data.password_login && !config.delegatedAuth) {
    deps.out.warn(passwordLoginOff(undefined));
  }
  const lines = [
    `Config:        ${config.files.join(', ')}`,
    `Server name:   ${config.serverName}`,
    `Database:      ${data.database}`,
    `Schema:        ${data.schema_version ?? 'unknown'} (compat ${data.compat_version ?? 'n/a'})`,
    `Users:         ${data.users ?? 'unknown'}, admins ${data.admins ?? 'unknown'} (usable ${data.usable_admins ?? 'unknown'})` +
      (config.delegatedAuth ? " in Synapse's own flag, which MAS's tokens ignore" : ''),
    `Password login: ${data.password_login ? 'on' : 'off'}${config.delegatedAuth ? ' (delegated to matrix-authentication-service)' : ''}`,
    `Synapse:       ${live.running ? `running (${live.evidence.join('; ')})` : `not running${live.notes.length > 0 ? ` (${live.notes.join('; ')})` : ''}`}`,
  ];
  return { lines, data, ...(problem === undefined ? {} : { problem }) };
}

/** One named user of `check <users..>`, the same keys on every store (json-shapes.ts: USER_CHECKED_KEYS). */
export interface UserPresence {
  user_id: string;
  in_synapse: boolean;
  /** Null when MAS does not own logins. */
  in_mas: boolean | null;
  mas_username: string | null;
  meaning: string;
}

function presenceLines(users: readonly UserPresence[]): string[] {
  return users.map((u) => `User ${u.user_id}: ${u.meaning}`);
}

export function inSynapseTable(db: SynapseAccess, userId: string): Promise<boolean> {
  return db.read((ctx) => findUser(ctx, userId)).then((u) => u !== undefined);
}

/** A named user's presence when only Synapse's table is looked at (no MAS, or MAS unreadable). */
export function synapsePresence(db: SynapseAccess): (user: ParsedUser) => Promise<UserPresence> {
  return async ({ userId }) => {
    const inSynapse = await inSynapseTable(db, userId);
    return { user_id: userId, in_synapse: inSynapse, in_mas: null, mas_username: null, meaning: inSynapse ? 'exists' : "not in Synapse's users table" };
  };
}

/** Adds `check <users..>` to a half report: where each user is; a failure to look is the problem, if none came before. */
export async function withUsers(
  health: Health<Omit<JsonOf<'check'>, 'users_checked'>>,
  named: readonly ParsedUser[],
  presence: (user: ParsedUser) => Promise<UserPresence>,
): Promise<Health> {
  const users: UserPresence[] = [];
  let problem = health.problem;
  try {
    for (const user of named) users.push(await presence(user));
  } catch (err) {
    if (!(err instanceof ToolError)) throw err;
    problem ??= err;
  }
  return {
    lines: [...health.lines, ...presenceLines(users)],
    data: { ...health.data, users_checked: users },
    ...(problem === undefined ? {} : { problem }),
  };
}

/** check on a server whose logins are Synapse's own. */
export async function synapseHealth(db: SynapseAccess, deps: StoreDeps, named: readonly ParsedUser[]): Promise<Health> {
  const half = await synapseHalf(db, deps);
  return withUsers({ ...half, data: { ...half.data, mas: null } }, named, synapsePresence(db));
}
