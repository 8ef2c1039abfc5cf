// check's MAS half: what MAS's config and database say, in lines and in the JSON report.
import { describeDatabase } from '../database/settings.js';
import { ToolError, UsageError } from '../errors.js';
import type { Output } from '../output.js';
import type { MasConfig } from '../mas/config.js';
import { describePasswords, masHealth, presenceMeaning, synapseAdminsMissingInMas, type MasHealth } from '../mas/check.js';
import { findMasUser } from '../mas/user-store.js';
import type { ParsedUser } from '../synapse/user-id.js';
import type { MasAdminEntry } from '../mas/admin-operations.js';
import { MAKE_AN_ADMIN, findUser } from '../synapse/user-store.js';
import type { MasPrepared } from '../mas/session.js';
import type { Prepared } from './prepare.js';
import { adminMarks } from './mas-admin.js';

export interface MasCheck {
  lines: string[];
  data: Record<string, unknown>;
  problem?: ToolError;
}

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

/** The fix for an admin that cannot act: bringing it back beats making a new one. */
function repairAdvice(a: MasAdminEntry): string {
  if (!a.in_mas) return `${a.username} (policy.data.admin_users) has no MAS user: \`register ${a.username}\` (\`adopt ${a.username}\` if Synapse has it).`;
  if (a.deactivated) return `${a.username} is deactivated: run \`set-password ${a.username} --reactivate\`${a.locked ? `, then \`unlock ${a.username}\`` : ''}.`;
  if (a.locked) return `${a.username} is locked: run \`unlock ${a.username}\`.`;
  return `${a.username} is a guest account.`;
}

/** `synapseAdmins`: Synapse's own active admins, for the advice when MAS has no usable admin. */
export async function checkMas(mas: MasPrepared, out: Output, synapseAdmins: readonly string[] = []): Promise<MasCheck> {
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
    const h = await mas.read(masHealth);
    Object.assign(data, { connected: true, ...h });
    lines.push(
      `MAS schema:    newest migration ${h.newest_migration}`,
      `MAS admins:    ${h.admins.length === 0 ? 'none' : h.admins.map((a) => `${a.username}${adminMarks(a).replace(/^ +/, ' ')}`).join(', ')} (usable ${h.usable_admins})`,
      `MAS worker:    ${workerLine(h)}`,
      `MAS jobs:      ${jobsLine(h)}`,
    );
    if (!h.worker_alive) {
      out.warn('No MAS worker is running: queued jobs (new accounts, unlocks, device lists) reach Synapse only when MAS runs again.');
    }
    if (h.jobs.failed > 0) out.warn(`${h.jobs.failed} MAS job(s) failed for good; the newest: ${h.jobs.newest_failure?.queue}: ${h.jobs.newest_failure?.reason ?? 'no reason recorded'}.`);
    if (h.usable_admins > 0) return { lines, data };
    const unusable = h.admins.map(repairAdvice).join(' ');
    const missing = await mas.read((ctx) => synapseAdminsMissingInMas(ctx, synapseAdmins));
    const adopt = missing.length === 0 ? '' : `Synapse's admin ${missing.join(', ')} has no MAS account: run \`adopt ${missing[0]}\` to give it one (then \`issue-token\`).`;
    return {
      lines,
      data,
      problem: new ToolError(
        `No usable admin in MAS (a user who may request admin rights, not locked or deactivated). ${[unusable, adopt].filter(Boolean).join(' ') || MAKE_AN_ADMIN}`,
        'no_admin',
      ),
    };
  } catch (err) {
    if (!(err instanceof ToolError)) throw err;
    data.connected = err.kind !== 'database_unreachable';
    return { lines, data, problem: err };
  }
}

export interface UserPresence {
  user_id: string;
  in_synapse: boolean;
  /** Present when MAS owns logins. */
  in_mas?: boolean;
  mas_username?: string;
  meaning?: string;
}

/** `check <users..>`: where each named user exists, and what a one-sided user means. */
export async function checkUsers(prepared: Prepared, names: readonly ParsedUser[]): Promise<{ lines: string[]; users: UserPresence[] }> {
  const users: UserPresence[] = [];
  for (const { userId, localpart } of names) {
    const inSynapse = (await prepared.read((ctx) => findUser(ctx, userId))) !== undefined;
    if (prepared.mas === undefined) {
      users.push({ user_id: userId, in_synapse: inSynapse });
      continue;
    }
    try {
      const masUser = await prepared.mas.read((ctx) => findMasUser(ctx, localpart));
      users.push({
        user_id: userId,
        in_synapse: inSynapse,
        in_mas: masUser !== undefined,
        ...(masUser === undefined ? {} : { mas_username: masUser.username }),
        meaning: presenceMeaning(inSynapse, masUser),
      });
    } catch (err) {
      // Several MAS users differing only in case: MAS finds none of them, and says so.
      if (!(err instanceof UsageError)) throw err;
      users.push({ user_id: userId, in_synapse: inSynapse, in_mas: false, meaning: err.message });
    }
  }
  const lines = users.map(
    (u) => `User ${u.user_id}: ${u.meaning ?? (u.in_synapse ? 'exists' : "not in Synapse's users table")}`,
  );
  return { lines, users };
}
