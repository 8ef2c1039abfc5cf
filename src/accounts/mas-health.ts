// check's look at MAS, after Synapse's half (synapse-health.ts): its config, database, password
// schemes, admins, worker and jobs, and where named users exist.
import { describeDatabase } from '../database/settings.js';
import { ToolError, UsageError, type ConfigError } from '../errors.js';
import { adoptableAdmins } from '../mas/adopt-source.js';
import { describePasswords, masHealth as readMasHealth, presenceMeaning, synapseAdminsMissingInMas, type MasHealth } from '../mas/check.js';
import type { MasConfig } from '../mas/config.js';
import { adminMarks, adoptSynapseAdmins, noUsableAdmin, noWorkerSeen, repairAdvice } from '../mas/messages.js';
import type { MasPrepared } from '../mas/session.js';
import { findMasUser } from '../mas/user-store.js';
import type { ParsedUser } from '../synapse/user-id.js';
import type { Health, StoreDeps, SynapseAccess } from './store.js';
import { inSynapseTable, synapseHalf, synapsePresence, withUsers, type UserPresence } from './synapse-health.js';

function schemeLine(config: MasConfig): string {
  const p = describePasswords(config.passwords);
  if (p === null) return 'unknown (no MAS config file read; pass --mas-config)';
  const schemes = p.schemes
    .map((s) => `v${s.version} ${s.algorithm}${s.cost !== undefined ? ` cost ${s.cost}` : ''}${s.pepper ? ' with pepper' : ''}`)
    .join(', ');
  return `${p.enabled ? 'on' : 'OFF'}, minimum complexity ${p.minimum_complexity}; ${schemes} (new passwords: the last)`;
}

function workerLine(h: MasHealth): string {
  if (h.worker_alive) return `running (last heartbeat ${h.worker_last_seen})`;
  return `none seen in the last two minutes${h.worker_last_seen === null ? ' (never)' : ` (last heartbeat ${h.worker_last_seen})`}`;
}

function jobsLine(h: MasHealth): string {
  const { available, scheduled, running, failed, newest_failure: f } = h.jobs;
  const failure = f === null ? '' : `; newest failure: ${f.queue} at ${f.failed_at}: ${f.reason ?? 'no reason recorded'}`;
  return `${available} waiting, ${scheduled} scheduled, ${running} running, ${failed} failed${failure}`;
}

/**
 * Synapse's own active admins that MAS has no user for: `adopt` brings one in when MAS has no usable
 * admin. None when Synapse's database cannot be read (Synapse's half of check says why).
 */
async function adoptableSynapseAdmins(db: SynapseAccess, mas: MasPrepared): Promise<string[]> {
  const admins = await db.read(adoptableAdmins).catch((err: unknown) => {
    if (err instanceof ToolError) return [];
    throw err;
  });
  return mas.read((ctx) => synapseAdminsMissingInMas(ctx, admins));
}

/** MAS's half of check: lines, the `mas` key of the report, and what is wrong. */
async function masHalf(db: SynapseAccess, mas: MasPrepared, deps: StoreDeps): Promise<Health<Record<string, unknown>>> {
  const { config } = mas;
  const data: Record<string, unknown> = {
    config_files: config.files,
    database: describeDatabase(config.database),
    database_source: config.databaseSource,
    passwords: describePasswords(config.passwords),
    policy_admin_users: config.adminUsers,
  };
  const lines = [
    `MAS config:    ${config.files.length > 0 ? config.files.join(', ') : '(none)'}`,
    `MAS database:  ${data.database}`,
    `MAS passwords: ${schemeLine(config)}`,
  ];
  try {
    const h = await mas.read(readMasHealth);
    Object.assign(data, { connected: true, ...h });
    const admins = h.admins.map((a) => `${a.username}${adminMarks(a).length > 0 ? ` (${adminMarks(a).join(', ')})` : ''}`);
    lines.push(
      `MAS schema:    newest migration ${h.newest_migration}`,
      `MAS admins:    ${admins.length === 0 ? 'none' : admins.join(', ')} (usable ${h.usable_admins})`,
      `MAS worker:    ${workerLine(h)}`,
      `MAS jobs:      ${jobsLine(h)}`,
    );
    if (!h.worker_alive) deps.out.warn(noWorkerSeen(h.worker_last_seen));
    if (h.jobs.failed > 0) {
      deps.out.warn(`${h.jobs.failed} MAS job(s) failed for good; the newest: ${h.jobs.newest_failure?.queue}: ${h.jobs.newest_failure?.reason ?? 'no reason recorded'}.`);
    }
    if (h.usable_admins > 0) return { lines, data };
    const missing = await adoptableSynapseAdmins(db, mas);
    const advice = [...h.admins.map(repairAdvice), ...(missing.length > 0 ? [adoptSynapseAdmins(missing)] : [])];
    return { lines, data, problem: new ToolError(noUsableAdmin(advice), 'no_admin') };
  } catch (err) {
    if (!(err instanceof ToolError)) throw err;
    data.connected = err.kind !== 'database_unreachable';
    return { lines, data, problem: err };
  }
}

/** Where a named user exists, and what a one-sided user means. */
async function presence(db: SynapseAccess, mas: MasPrepared, { userId, localpart }: ParsedUser): Promise<UserPresence> {
  const inSynapse = await inSynapseTable(db, userId);
  try {
    const masUser = await mas.read((ctx) => findMasUser(ctx, localpart));
    return {
      user_id: userId,
      in_synapse: inSynapse,
      in_mas: masUser !== undefined,
      mas_username: masUser?.username ?? null,
      meaning: presenceMeaning(inSynapse, masUser, localpart),
    };
  } catch (err) {
    // Several MAS users differing only in case: MAS finds none of them, and says so.
    if (!(err instanceof UsageError)) throw err;
    return { user_id: userId, in_synapse: inSynapse, in_mas: false, mas_username: null, meaning: err.message };
  }
}

/** check on a server whose logins belong to MAS: Synapse's half, then MAS's (whose admins count). */
export async function masHealth(db: SynapseAccess, mas: MasPrepared, deps: StoreDeps, named: readonly ParsedUser[]): Promise<Health> {
  const synapse = await synapseHalf(db, deps);
  const m = await masHalf(db, mas, deps);
  const problem = synapse.problem ?? m.problem;
  return withUsers(
    { lines: [...synapse.lines, ...m.lines], data: { ...synapse.data, mas: m.data }, ...(problem === undefined ? {} : { problem }) },
    named,
    (user) => presence(db, mas, user),
  );
}

/** check when MAS's config could not be read: Synapse's half is still worth reading. */
export async function masUnreadable(db: SynapseAccess, problem: ConfigError, deps: StoreDeps, named: readonly ParsedUser[]): Promise<Health> {
  const synapse = await synapseHalf(db, deps);
  return withUsers(
    {
      lines: [...synapse.lines, 'MAS config:    not found or unusable (see the error below)'],
      data: { ...synapse.data, mas: { config_problem: problem.message } },
      problem: synapse.problem ?? problem,
    },
    named,
    synapsePresence(db),
  );
}
