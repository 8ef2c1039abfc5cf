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
import { outcomeOf, type AccountOutcome, type ServerFollowUp } from '../accounts/outcome.js';
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

/** Synapse's store with --live: `mode` is auto or always (never is Synapse's store as it is). */
export function liveAccounts(mode: LiveMode, db: SynapseAccess, deps: StoreDeps): AccountStore {
  const { config } = db;
  const { io, out, dryRun } = deps;
  const database = synapseCachedChanges(db, deps);
  const base = synapseAccounts(db, deps, database);
  let chosen: Promise<Way> | undefined;
  /** The Admin API, or undefined for the database; asked once, and only by a change Synapse caches. */
  const api = async (): Promise<Api | undefined> => {
    chosen ??= chooseWay(mode, config);
    const w = await chosen;
    if (w.via === 'admin-api') return w;
    for (const n of w.notes) out.detail(`--live ${mode}: ${n}`);
    return undefined;
  };
  const liveDeps: Omit<LiveDeps, 'say'> = { config, write: db.write, randomBytes: io.randomBytes };

  /** A plan's outcome: nothing to do, the plan (dry run), or the run's. */
  async function carry<F extends object>(
    server: ConfirmedServer,
    userId: string,
    plan: LivePlan,
    nothing: boolean,
    words: { done: string; unchanged: string },
    warnings: string[],
    facts: (changed: boolean) => Promise<F> | F,
  ): Promise<AccountOutcome<F>> {
    if (nothing) return outcomeOf({ userId, changed: false, changes: [], warnings }, words, followUp([]), await facts(false));
    if (dryRun) return outcomeOf({ userId, changed: true, changes: describePlan(server, plan), warnings }, words, followUp([]), await facts(false));
    const run = await runLive(server, liveDeps, plan);
    return outcomeOf(
      { userId, changed: true, changes: run.changes, warnings: [...warnings, ...run.warnings] },
      words,
      followUp([SHOWN_AT_ONCE, ...run.steps]),
      await facts(true),
    );
  }

  const cached: CachedChanges = {
    async setAdmin(user, request) {
      const w = await api();
      if (w === undefined) return database.setAdmin(user, request);
      const { admin } = request;
      if (request.logout) out.warn(LOGOUT_NOT_NEEDED);
      const row = await db.read((ctx) => requireUser(ctx, user.userId));
      if (admin) assertActiveAccount(row, 'make an admin of', reactivateHint(row.name));
      const outcome = await carry(
        w.server,
        row.name,
        { changes: [{ kind: 'admin', userId: row.name, admin }], exclude: row.name },
        row.admin === admin,
        adminFlagWords(row.name, admin),
        admin ? lockWarnings(row) : [],
        () => ({ admin, admin_sessions: null, sessions_ended: null }),
      );
      if (!admin && outcome.changed && !dryRun) outcome.warnings.push(...(await db.read(noAdminLeftWarnings)));
      return outcome;
    },

    async unlock(user, request) {
      const w = await api();
      if (w === undefined) return database.unlock(user, request);
      const row = await db.read((ctx) => requireUser(ctx, user.userId));
      const change: LiveChange = {
        kind: 'unlock',
        userId: row.name,
        locked: row.locked,
        suspended: row.suspended,
        shadowBanned: request.unshadowban && row.shadowBanned,
      };
      return carry(
        w.server,
        row.name,
        { changes: [change], exclude: row.name },
        !change.locked && !change.suspended && !change.shadowBanned,
        unlockWords(row.name, request.unshadowban),
        row.deactivated ? [unlockLeavesDeactivated(row.name)] : [],
        () => ({}),
      );
    },

    async setPassword(user, request) {
      // Refuse an unknown or deactivated user before anyone types a password for it.
      const row = await db.read((ctx) => userForSetPassword(ctx, user.userId, request.reactivate));
      const reactivating = request.reactivate && row.deactivated;
      // The password hash alone is not cached: only --reactivate and --logout need the API.
      const w = reactivating || request.logout ? await api() : undefined;
      if (w === undefined) return database.setPassword(user, request);
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
      const showPassword = generated !== undefined && !dryRun;
      return carry(
        w.server,
        row.name,
        plan,
        false,
        {
          done:
            passwordSetWords(row.name, reactivating) +
            (request.logout ? ' Synapse logged out every session of it.' : '') +
            (showPassword ? `\nPassword: ${generated}` : ''),
          unchanged: 'Nothing to change.',
        },
        lockWarnings(row),
        (ran) => ({
          reactivated: reactivating,
          tokens_removed: request.logout && ran ? counted.tokens : null,
          pushers_removed: request.logout && ran ? counted.pushers : null,
          password_version: null,
          sessions_ended: null,
          ...(showPassword ? { password: generated } : {}),
        }),
      );
    },
  };

  // apply: the file in the database transaction as now; then the admin flags it changed go through
  // the API with one token. PUT v1/users/<id>/admin calls set_server_admin every time, so it
  // invalidates Synapse's caches even though the database already holds the value (facts 5.3).
  let adminFlags: Array<{ userId: string; admin: boolean }> = [];
  return {
    ...base,
    ...cached,
    applyBackend(appServices, opts) {
      const backend = base.applyBackend(appServices, opts);
      return {
        ...backend,
        async write(userIds, recheck, writes) {
          // --live always refuses before the transaction when no listener answers.
          await api();
          const said = await backend.write(userIds, recheck, writes);
          adminFlags = writes.adminFlags;
          return said;
        },
      };
    },
    async afterApply(res: ApplyResult) {
      const w = await api();
      if (w === undefined) return base.afterApply(res);
      const changes: LiveChange[] = adminFlags.map((f) => ({ kind: 'admin', userId: f.userId, admin: f.admin }));
      if (dryRun || changes.length === 0) {
        const plan = dryRun && changes.length > 0 ? describePlan(w.server, { changes }) : [];
        return { ...followUp(plan), notes: plan, synapseRunning: true };
      }
      const steps: string[] = [];
      const d: LiveDeps = { ...liveDeps, say: (line) => steps.push(line) };
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
    },
  };
}

/** The user's tokens and pushers before Synapse's logout/all ends them, for the report. */
async function sessionsOf(ctx: UserContext, userId: string): Promise<{ tokens: number; pushers: number }> {
  const tokens = await ctx.db('access_tokens').where({ user_id: userId }).count({ n: '*' }).first();
  const pushers = ctx.schema.columns.pushers.size > 0 ? await ctx.db('pushers').where({ user_name: userId }).count({ n: '*' }).first() : undefined;
  return { tokens: Number(tokens?.n ?? 0), pushers: Number(pushers?.n ?? 0) };
}
