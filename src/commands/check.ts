import { describeDatabase } from '../database/settings.js';
import { ToolError } from '../errors.js';
import type { Io } from '../io.js';
import { detectRunningSynapse } from '../synapse/live-server.js';
import { passwordLoginWorks } from '../synapse/login.js';
import type { Output } from '../output.js';
import { defineCommand } from './define-command.js';
import { prepare } from './prepare.js';
import { MAKE_AN_ADMIN, countUsers, unusableAdmins, type UserRow } from '../synapse/user-store.js';
import { parseUserArg } from '../synapse/user-id.js';
import { checkMas, checkUsers } from './mas-check.js';
import { leftoverHelpers } from '../live/actor.js';

export function checkCommand(io: Io, out: Output) {
  return defineCommand({
    builder: (y) =>
      y.positional('users', { type: 'string', array: true, default: [] as string[], describe: 'users to look up in Synapse (and MAS)' }),
    handler: async (args) => {
      const prepared = await prepare(args, io, out, { changes: false, masOptional: true });
      const { config, read, mas } = prepared;
      const named = args.users.map((u) => parseUserArg(String(u), config.serverName));
      const live = await detectRunningSynapse(config, {});
      const report: Record<string, unknown> = {
        config_files: config.files,
        server_name: config.serverName,
        engine: config.database.engine,
        database: describeDatabase(config.database),
        password_login: passwordLoginWorks(config.password),
        delegated_auth: config.delegatedAuth,
        synapse_running: live.running,
        synapse_running_evidence: live.evidence,
        synapse_running_notes: live.notes,
      };
      let problem: ToolError | undefined;
      try {
        const { schema, counts, unusable, helpers } = await read(async (ctx) => ({
          schema: ctx.schema,
          counts: await countUsers(ctx),
          unusable: await unusableAdmins(ctx),
          helpers: await leftoverHelpers(ctx),
        }));
        Object.assign(report, {
          connected: true,
          schema_version: schema.version,
          compat_version: schema.compatVersion,
          users: counts.users,
          admins: counts.admins,
          usable_admins: counts.usableAdmins,
          live_helpers_left: helpers,
        });
        if (helpers.length > 0) {
          out.warn(
            `Helper admin(s) left by an interrupted --live run: ${helpers.join(', ')}. Their tokens expired within minutes; ` +
              'the next command that goes through the Admin API (e.g. any promote, unlock with --live) deactivates them.',
          );
        }
        if (counts.usableAdmins === 0 && !config.delegatedAuth) {
          problem = new ToolError(
            `No usable server admin (active and not locked). ${unusable.length > 0 ? unusable.map(repairAdvice).join(' ') : MAKE_AN_ADMIN}`,
            'no_admin',
          );
        }
      } catch (err) {
        if (!(err instanceof ToolError)) throw err;
        report.connected = err.kind !== 'database_unreachable';
        problem = err;
      }
      if (prepared.masProblem !== undefined) {
        // Synapse's half is still worth reading when MAS's config is what is missing.
        report.mas = { config_problem: prepared.masProblem.message };
        problem ??= prepared.masProblem;
      }
      if (!report.password_login && !config.delegatedAuth) {
        out.warn('Password login is off in this config: a new password will not let anyone in. Use `issue-token <user>` for the Admin API.');
      }
      const lines = [
        `Config:        ${config.files.join(', ')}`,
        `Server name:   ${config.serverName}`,
        `Database:      ${report.database}`,
        `Schema:        ${report.schema_version ?? 'unknown'} (compat ${report.compat_version ?? 'n/a'})`,
        `Users:         ${report.users ?? 'unknown'}, admins ${report.admins ?? 'unknown'} (usable ${report.usable_admins ?? 'unknown'})` +
          (mas === undefined ? '' : " in Synapse's own flag, which MAS's tokens ignore"),
        `Password login: ${report.password_login ? 'on' : 'off'}${config.delegatedAuth ? ' (delegated to matrix-authentication-service)' : ''}`,
        `Synapse:       ${live.running ? `running (${live.evidence.join('; ')})` : `not running${live.notes.length > 0 ? ` (${live.notes.join('; ')})` : ''}`}`,
      ];
      if (prepared.masProblem !== undefined) lines.push('MAS config:    not found or unusable (see the error below)');
      if (mas !== undefined) {
        // With MAS, Synapse's admin flag decides nothing: MAS's admins are the ones that count.
        const m = await checkMas(mas, out);
        report.mas = m.data;
        lines.push(...m.lines);
        problem ??= m.problem;
      }
      if (named.length > 0) {
        try {
          const { lines: userLines, users } = await checkUsers(prepared, named);
          report.users_checked = users;
          lines.push(...userLines);
        } catch (err) {
          if (!(err instanceof ToolError)) throw err;
          problem ??= err;
        }
      }
      if (problem === undefined) {
        out.success(lines, report);
        return;
      }
      // The report still goes out (on stderr, or inside the JSON error) so the failure can be read in context.
      if (!out.json) io.stderr.write(`${lines.join('\n')}\n`);
      problem.details = report;
      throw problem;
    },
  });
}

/** The fix for an admin that cannot act: bringing it back beats making a new one. */
function repairAdvice(admin: UserRow): string {
  if (admin.deactivated && admin.locked) {
    return `${admin.name} is deactivated and locked: run \`set-password ${admin.name} --reactivate\`, then \`unlock ${admin.name}\`.`;
  }
  if (admin.deactivated) return `${admin.name} is deactivated: run \`set-password ${admin.name} --reactivate\`.`;
  return `${admin.name} is locked: run \`unlock ${admin.name}\`.`;
}
