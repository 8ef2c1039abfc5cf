// The --live path of promote, demote, unlock and set-password: each returns false when the change
// goes through the database as before (--live never, Synapse stopped, or no listener answers
// under auto), true when it has done and reported the change through the Admin API.
import type { AppServiceUsers } from '../config/appservice.js';
import type { SynapseConfig } from '../config/types.js';
import { AccountStateError } from '../errors.js';
import type { Io } from '../io.js';
import type { Output } from '../output.js';
import { lockWarnings, setPassword, userForSetPassword } from '../synapse/user-operations.js';
import { assertActiveAccount, noAdminLeftWarnings, reactivateHint, requireUser, type UserContext, type UserRow } from '../synapse/user-store.js';
import type { LiveChange } from './operations.js';
import { chooseWay, describePlan, runLive, type LiveMode, type LivePlan, type Way } from './run.js';

export interface LiveContext {
  config: SynapseConfig;
  read<T>(fn: (ctx: UserContext) => Promise<T>): Promise<T>;
  write<T>(fn: (ctx: UserContext) => Promise<T>): Promise<T>;
  io: Io;
  out: Output;
  args: { live: LiveMode; dryRun: boolean };
}

interface Outcome {
  userId: string;
  /** Said when something changed; none changed means `unchanged`. */
  done: string;
  unchanged: string;
  warnings?: string[];
  extra?: Record<string, unknown>;
}

/** The way this command takes; the database way is then the caller's, as without --live. */
async function way(lc: LiveContext): Promise<Way & { via: 'admin-api' } | undefined> {
  const w = await chooseWay(lc.args.live, lc.config);
  if (w.via === 'database') {
    if (lc.args.live !== 'never') for (const n of w.notes) lc.out.detail(`--live ${lc.args.live}: ${n}`);
    return undefined;
  }
  return w;
}

async function run(lc: LiveContext, w: Way & { via: 'admin-api' }, plan: LivePlan, outcome: Outcome, nothingToDo: boolean): Promise<void> {
  const { out, args } = lc;
  for (const warning of outcome.warnings ?? []) out.warn(warning);
  const data = { user_id: outcome.userId, dry_run: args.dryRun, applied_via: 'admin-api', ...outcome.extra };
  if (nothingToDo) {
    out.success([args.dryRun ? `Dry run: ${outcome.unchanged}` : outcome.unchanged], { ...data, changed: false, changes: [] });
    return;
  }
  if (args.dryRun) {
    const lines = describePlan(w.server, plan);
    out.success(['Dry run: nothing was written and no API call that changes anything was made. It would go:', ...lines], {
      ...data,
      changed: true,
      changes: [],
      plan: lines,
    });
    return;
  }
  const done = await runLive(w.server, { config: lc.config, write: lc.write, randomBytes: lc.io.randomBytes }, plan);
  for (const warning of done.warnings) out.warn(warning);
  const after = await (outcome.extra?.after as (() => Promise<string[]>) | undefined)?.();
  for (const warning of after ?? []) out.warn(warning);
  const { after: _after, ...extra } = outcome.extra ?? {};
  out.success(
    [`${outcome.done} Applied through Synapse's Admin API: it shows at once, no restart needed.`, ...done.steps.map((s) => `  ${s}`)],
    { ...data, ...extra, changed: true, changes: done.changes, admin_api_steps: done.steps },
  );
}

export async function liveAdminFlag(lc: LiveContext, userId: string, admin: boolean): Promise<boolean> {
  const w = await way(lc);
  if (w === undefined) return false;
  const user = await lc.read((ctx) => requireUser(ctx, userId));
  if (admin) assertActiveAccount(user, 'make an admin of', reactivateHint(user.name));
  const change: LiveChange = { kind: 'admin', userId: user.name, admin };
  await run(
    lc,
    w,
    { changes: [change], exclude: user.name },
    {
      userId: user.name,
      done: admin ? `${user.name} is now a server admin.` : `${user.name} is no longer a server admin.`,
      unchanged: `${user.name} is ${admin ? 'already' : 'not'} a server admin; nothing to change.`,
      warnings: admin ? lockWarnings(user) : [],
      extra: { admin, ...(admin ? {} : { after: () => lc.read(noAdminLeftWarnings) }) },
    },
    user.admin === admin,
  );
  return true;
}

export async function liveUnlock(lc: LiveContext, userId: string, unshadowban: boolean): Promise<boolean> {
  const w = await way(lc);
  if (w === undefined) return false;
  const user = await lc.read((ctx) => requireUser(ctx, userId));
  const change: LiveChange = { kind: 'unlock', userId: user.name, locked: user.locked, suspended: user.suspended, shadowBanned: unshadowban && user.shadowBanned };
  await run(
    lc,
    w,
    { changes: [change], exclude: user.name },
    {
      userId: user.name,
      done: `${user.name} is unlocked.`,
      unchanged: `${user.name} is not locked${unshadowban ? ', suspended or shadow-banned' : ' or suspended'}; nothing to change.`,
      warnings: user.deactivated ? [`${user.name} is deactivated; unlocking does not bring it back. ${reactivateHint(user.name)}`] : [],
    },
    !change.locked && !change.suspended && !change.shadowBanned,
  );
  return true;
}

export interface LiveSetPassword {
  userId: string;
  logout: boolean;
  reactivate: boolean;
  appServices: readonly AppServiceUsers[];
  /** Hashes the new password (asks for it if need be); called once the user is known. */
  hash: () => Promise<{ hash: string; generated?: string }>;
}

/**
 * set-password through the Admin API: only --reactivate (of a deactivated user) and --logout touch
 * what Synapse caches; the password hash itself is not cached and goes into the database between.
 */
export async function liveSetPassword(lc: LiveContext, opts: LiveSetPassword): Promise<boolean> {
  const user: UserRow = await lc.read((ctx) => userForSetPassword(ctx, opts.userId, opts.reactivate));
  const reactivating = opts.reactivate && user.deactivated;
  if (!reactivating && !opts.logout) return false;
  const w = await way(lc);
  if (w === undefined) return false;
  if (opts.logout && user.locked) {
    throw new AccountStateError(
      `${user.name} is locked, and Synapse refuses a locked user's token, which --live needs to log it out everywhere. ` +
        `Run \`unlock ${user.name}\` first, or pass --live never and restart Synapse afterwards. Nothing was changed.`,
    );
  }
  const { hash, generated } = await opts.hash();
  let counted = { tokens: 0, pushers: 0 };
  const plan: LivePlan = {
    changes: reactivating ? [{ kind: 'reactivate', userId: user.name }] : [],
    exclude: user.name,
    between: async () => {
      await lc.write(async (ctx) => {
        await setPassword(ctx, user.name, hash, { logout: false, reactivate: false, appServices: opts.appServices });
        if (opts.logout) counted = await sessionsOf(ctx, user.name);
      });
    },
    ...(opts.logout ? { logoutUser: user.name } : {}),
  };
  const showPassword = generated !== undefined && !lc.args.dryRun;
  await run(
    lc,
    w,
    plan,
    {
      userId: user.name,
      done:
        (reactivating ? `${user.name} is active again, with the new password.` : `The password of ${user.name} is set.`) +
        (opts.logout ? ' Every session of it is logged out.' : '') +
        (showPassword ? `\nPassword: ${generated}` : ''),
      unchanged: 'Nothing to change.',
      warnings: lockWarnings(user),
      extra: {
        reactivated: reactivating,
        get tokens_removed() {
          return counted.tokens;
        },
        get pushers_removed() {
          return counted.pushers;
        },
        ...(showPassword ? { password: generated } : {}),
      },
    },
    false,
  );
  return true;
}

/** The user's tokens and pushers before Synapse's logout/all ends them, for the report. */
async function sessionsOf(ctx: UserContext, userId: string): Promise<{ tokens: number; pushers: number }> {
  const tokens = await ctx.db('access_tokens').where({ user_id: userId }).count({ n: '*' }).first();
  const pushers = ctx.schema.columns.pushers.size > 0 ? await ctx.db('pushers').where({ user_name: userId }).count({ n: '*' }).first() : undefined;
  return { tokens: Number(tokens?.n ?? 0), pushers: Number(pushers?.n ?? 0) };
}

/** The LiveContext of a command whose database was prepared as every command's is. */
export function liveContext(
  prepared: Pick<LiveContext, 'config' | 'read' | 'write'>,
  io: Io,
  out: Output,
  args: { live: LiveMode; dryRun: boolean },
): LiveContext {
  return { config: prepared.config, read: prepared.read, write: prepared.write, io, out, args };
}
