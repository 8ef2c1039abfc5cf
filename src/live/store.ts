// The account store of --live auto|always: Synapse's own store, except that the changes a running
// Synapse caches (admin flag, unlock, --reactivate, --logout, apply's admin flags) are made by
// Synapse itself through its Admin API when it runs and answers; otherwise the database and the
// restart advice, as before (auto) or exit 4 with nothing changed (always).
import type { ApplyResult } from '../apply/apply.js';
import { loadAppServices } from '../config/appservice.js';
import { obtainPasswordHash } from '../passwords/new-password.js';
import { adminFlagWords, LOGOUT_NOT_NEEDED, lockWarnings, passwordSetWords, reactivateHint, unlockLeavesDeactivated, unlockWords } from '../synapse/messages.js';
import { setPassword, userForSetPassword } from '../synapse/user-operations.js';
import { assertActiveAccount, noAdminLeftWarnings, requireUser, type UserContext } from '../synapse/user-store.js';
import { outcomeOf, shownPassword, type AccountOutcome, type ServerFollowUp } from '../accounts/outcome.js';
import type { AccountStore, StoreDeps, SynapseAccess } from '../accounts/store.js';
import { synapseAccounts, synapseCachedChanges, type CachedChanges } from '../accounts/synapse.js';
import { AdminApiError, asAdmin, type LiveDeps } from './actor.js';
import type { ConfirmedServer } from './http.js';
import { applyLive, type LiveChange } from './operations.js';
import { chooseWay, describePlan, runLive, type LiveMode, type LivePlan, type Way } from './run.js';

const SHOWN_AT_ONCE = "Applied through Synapse's Admin API: it shows at once, no restart needed.";

function followUp(notes: string[]): ServerFollowUp {
  return { warnings: [], notes, synapseRunning: true, restartNeeded: false, appliedVia: 'admin-api' };
}

type Api = Way & { via: 'admin-api' };

/** What each live use case works with: one per command run (no module-level state). */
interface LiveSide {
  mode: LiveMode;
  db: SynapseAccess;
  deps: StoreDeps;
  /** Synapse's own use cases, for when the database is the way. */
  database: CachedChanges;
  liveDeps: Omit<LiveDeps, 'say'>;
  /** The way, asked once per run, and only by a change Synapse caches. */
  chosen?: Promise<Way>;
  /** apply: the admin flags its transaction wrote, for afterApply to carry through the API. */
  adminFlags: Array<{ userId: string; admin: boolean }>;
}

/** The Admin API, or undefined for the database (with why, under --verbose). */
async function api(side: LiveSide): Promise<Api | undefined> {
  side.chosen ??= chooseWay(side.mode, side.db.config);
  const w = await side.chosen;
  if (w.via === 'admin-api') return w;
  for (const n of w.notes) side.deps.out.detail(`--live ${side.mode}: ${n}`);
  return undefined;
}

/** A plan's outcome: nothing to do, the plan (dry run), or the run's. */
async function carry<F extends object>(
  side: LiveSide,
  server: ConfirmedServer,
  userId: string,
  plan: LivePlan,
  nothing: boolean,
  words: { done: string; unchanged: string },
  warnings: string[],
  facts: (changed: boolean) => Promise<F> | F,
): Promise<AccountOutcome<F>> {
  if (nothing) return outcomeOf({ userId, changed: false, changes: [], warnings }, words, followUp([]), await facts(false));
  if (side.deps.dryRun) return outcomeOf({ userId, changed: true, changes: describePlan(server, plan), warnings }, words, followUp([]), await facts(false));
  const run = await runLive(server, side.liveDeps, plan);
  return outcomeOf(
    { userId, changed: true, changes: run.changes, warnings: [...warnings, ...run.warnings] },
    words,
    followUp([SHOWN_AT_ONCE, ...run.steps]),
    await facts(true),
  );
}

async function liveSetAdmin(side: LiveSide, ...[user, request]: Parameters<AccountStore['setAdmin']>) {
  const w = await api(side);
  if (w === undefined) return side.database.setAdmin(user, request);
  const { db, deps } = side;
  const { admin } = request;
  if (request.logout) deps.out.warn(LOGOUT_NOT_NEEDED);
  const row = await db.read((ctx) => requireUser(ctx, user.userId));
  if (admin) assertActiveAccount(row, 'make an admin of', reactivateHint(row.name));
  const outcome = await carry(
    side,
    w.server,
    row.name,
    { changes: [{ kind: 'admin', userId: row.name, admin }], exclude: row.name },
    row.admin === admin,
    adminFlagWords(row.name, admin),
    admin ? lockWarnings(row) : [],
    () => ({ admin, admin_sessions: null, sessions_ended: null }),
  );
  if (!admin && outcome.changed && !deps.dryRun) outcome.warnings.push(...(await db.read(noAdminLeftWarnings)));
  return outcome;
}

async function liveUnlock(side: LiveSide, ...[user, request]: Parameters<AccountStore['unlock']>) {
  const w = await api(side);
  if (w === undefined) return side.database.unlock(user, request);
  const row = await side.db.read((ctx) => requireUser(ctx, user.userId));
  const change: LiveChange = {
    kind: 'unlock',
    userId: row.name,
    locked: row.locked,
    suspended: row.suspended,
    shadowBanned: request.unshadowban && row.shadowBanned,
  };
  return carry(
    side,
    w.server,
    row.name,
    { changes: [change], exclude: row.name },
    !change.locked && !change.suspended && !change.shadowBanned,
    unlockWords(row.name, request.unshadowban),
    row.deactivated ? [unlockLeavesDeactivated(row.name)] : [],
    () => ({}),
  );
}

async function liveSetPassword(side: LiveSide, ...[user, request]: Parameters<AccountStore['setPassword']>) {
  const { db, deps: { io, out, dryRun } } = side;
  const { config } = db;
  // Refuse an unknown or deactivated user before anyone types a password for it.
  const row = await db.read((ctx) => userForSetPassword(ctx, user.userId, request.reactivate));
  const reactivating = request.reactivate && row.deactivated;
  // The password hash alone is not cached: only --reactivate and --logout need the API.
  const w = reactivating || request.logout ? await api(side) : undefined;
  if (w === undefined) return side.database.setPassword(user, request);
  const appServices = await loadAppServices(config.appServiceConfigFiles, config.serverName);
  const { hash, generated } = await obtainPasswordHash(request.password, io, out, config, user.localpart);
  let counted = { tokens: 0, pushers: 0 };
  const plan: LivePlan = {
    changes: reactivating ? [{ kind: 'reactivate', userId: row.name }] : [],
    exclude: row.name,
    between: () =>
      db.write(async (ctx) => {
        await setPassword(ctx, row.name, hash, { logout: false, reactivate: false, appServices });
        if (request.logout) counted = await sessionsOf(ctx, row.name);
      }),
    ...(request.logout ? { logoutUser: row.name } : {}),
  };
  const shown = shownPassword(generated, dryRun);
  return carry(
    side,
    w.server,
    row.name,
    plan,
    false,
    {
      done:
        passwordSetWords(row.name, reactivating) +
        (request.logout ? ' Synapse logged out every session of it.' : '') +
        shown.line,
      unchanged: 'Nothing to change.',
    },
    lockWarnings(row),
    (ran) => ({
      reactivated: reactivating,
      tokens_removed: request.logout && ran ? counted.tokens : null,
      pushers_removed: request.logout && ran ? counted.pushers : null,
      password_version: null,
      sessions_ended: null,
      ...shown.facts,
    }),
  );
}

/** apply: the file in the database transaction as now, remembering the admin flags it wrote. */
function liveApplyBackend(side: LiveSide, base: AccountStore, ...[appServices, opts]: Parameters<AccountStore['applyBackend']>) {
  const backend = base.applyBackend(appServices, opts);
  return {
    ...backend,
    async write(...[userIds, recheck, writes]: Parameters<typeof backend.write>) {
      // --live always refuses before the transaction when no listener answers.
      await api(side);
      const said = await backend.write(userIds, recheck, writes);
      side.adminFlags = writes.adminFlags;
      return said;
    },
  };
}

// Then the admin flags apply changed go through the API with one token. PUT v1/users/<id>/admin
// calls set_server_admin every time, so it invalidates Synapse's caches even though the database
// already holds the value (facts 5.3).
async function liveAfterApply(side: LiveSide, base: AccountStore, res: ApplyResult): Promise<ServerFollowUp> {
  const w = await api(side);
  if (w === undefined) return base.afterApply(res);
  const changes: LiveChange[] = side.adminFlags.map((f) => ({ kind: 'admin', userId: f.userId, admin: f.admin }));
  if (side.deps.dryRun || changes.length === 0) {
    const plan = side.deps.dryRun && changes.length > 0 ? describePlan(w.server, { changes }) : [];
    return { ...followUp(plan), notes: plan, synapseRunning: true };
  }
  const steps: string[] = [];
  const d: LiveDeps = { ...side.liveDeps, say: (line) => steps.push(line) };
  const made: string[] = [];
  let warnings: string[];
  try {
    ({ warnings } = await asAdmin(w.server, d, {}, (session) => applyLive(session, changes, made)));
  } catch (err) {
    if (err instanceof AdminApiError) {
      err.message += " The file's changes are all in the database; restart Synapse for the admin flags not done above to show.";
    }
    throw err;
  }
  const others = res.users.filter((u) => u.action !== 'unchanged' && !changes.some((c) => c.userId === u.user_id)).map((u) => u.user_id);
  return {
    ...followUp([
      `Through Synapse's Admin API (shown at once): ${made.join('; ')}.`,
      ...(others.length > 0 ? [`In the database only (nothing Synapse caches): ${others.join(', ')}.`] : []),
      ...steps,
    ]),
    warnings,
  };
}

/** Synapse's store with --live: `mode` is auto or always (never is Synapse's store as it is). */
export function liveAccounts(mode: LiveMode, db: SynapseAccess, deps: StoreDeps): AccountStore {
  const database = synapseCachedChanges(db, deps);
  const base = synapseAccounts(db, deps, database);
  const side: LiveSide = {
    mode,
    db,
    deps,
    database,
    liveDeps: { config: db.config, write: db.write, randomBytes: deps.io.randomBytes },
    adminFlags: [],
  };
  return {
    ...base,
    setAdmin: (...a) => liveSetAdmin(side, ...a),
    unlock: (...a) => liveUnlock(side, ...a),
    setPassword: (...a) => liveSetPassword(side, ...a),
    applyBackend: (...a) => liveApplyBackend(side, base, ...a),
    afterApply: (res) => liveAfterApply(side, base, res),
  };
}

/** The user's tokens and pushers before Synapse's logout/all ends them, for the report. */
async function sessionsOf(ctx: UserContext, userId: string): Promise<{ tokens: number; pushers: number }> {
  const tokens = await ctx.db('access_tokens').where({ user_id: userId }).count({ n: '*' }).first();
  const pushers = ctx.schema.columns.pushers.size > 0 ? await ctx.db('pushers').where({ user_name: userId }).count({ n: '*' }).first() : undefined;
  return { tokens: Number(tokens?.n ?? 0), pushers: Number(pushers?.n ?? 0) };
}
