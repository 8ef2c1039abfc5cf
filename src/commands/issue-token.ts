import type { Argv } from 'yargs';
import { singleValue } from './cli-options.js';
import type { Io } from '../io.js';
import type { Output } from '../output.js';
import { checkMasDeviceId, issueMasToken } from '../mas/issue-token.js';
import type { Listener } from '../config/types.js';
import { detectRunningSynapse, healthUrls } from '../synapse/live-server.js';
import { findUser } from '../synapse/user-store.js';
import type { ParsedUser } from '../synapse/user-id.js';
import { inSynapse } from './mas-report.js';
import { defineCommand, withUserPositional, type ArgsOf } from './define-command.js';
import type { GlobalOptions } from './global-options.js';
import { prepareForUser, type Prepared } from './prepare.js';
import type { MasPrepared } from '../mas/session.js';
import { checkDeviceId } from '../synapse/limits.js';
import { issueToken, parseDuration } from '../synapse/tokens.js';

function issueTokenOptions(y: Argv<GlobalOptions>) {
  return withUserPositional(y)
    .option('expires-in', {
      ...singleValue('expires-in'),
      default: '1h',
      describe: 'how long the token lasts: 30m, 1h, 7d, ... or never',
    })
    .option('device-id', { ...singleValue('device-id'), describe: 'attach the token to this device (created if missing)' });
}

type IssueTokenArgs = ArgsOf<typeof issueTokenOptions>;

export function issueTokenCommand(io: Io, out: Output) {
  return defineCommand({
    builder: issueTokenOptions,
    handler: async (args) => {
      const expiresInMs = parseDuration(args.expiresIn);
      if (args.deviceId !== undefined) checkDeviceId(args.deviceId);
      const prepared = await prepareForUser(args, io, out, { changes: true });
      if (prepared.mas !== undefined) return issueMasTokenCommand(args, io, out, prepared, prepared.mas, expiresInMs);
      const { config, user, write } = prepared;
      const issued = await write((ctx) =>
        issueToken(ctx, user.userId, { expiresInMs, deviceId: args.deviceId, randomBytes: io.randomBytes }),
      );
      for (const w of issued.warnings) out.warn(w);
      const expiresAt = issued.expiresAtMs === null ? null : new Date(issued.expiresAtMs).toISOString();
      if (args.dryRun) {
        out.success([`Dry run: nothing was written. It would add an access token for ${issued.userId}, expiring ${expiresAt ?? 'never'}.`], {
          user_id: issued.userId,
          dry_run: true,
          expires_at: expiresAt,
        });
        return;
      }
      // A new token is accepted by a running Synapse at once: report whether it runs, warn of nothing.
      const { running } = await detectRunningSynapse(config, {});
      out.detail(`Token for ${issued.userId}, expires ${expiresAt ?? 'never'}${issued.deviceCreated ? `, new device ${args.deviceId}` : ''}.`);
      out.success([issued.accessToken], {
        access_token: issued.accessToken,
        user_id: issued.userId,
        expires_at: expiresAt,
        device_id: args.deviceId ?? null,
        synapse_running: running,
      });
    },
  });
}

/** Where to ask whether Synapse accepts a token: its first local HTTP listener, if the config has one. */
function whoamiUrl(listeners: Listener[]): string {
  const health = healthUrls(listeners)[0];
  return `${health === undefined ? '<homeserver URL>' : health.slice(0, -'/health'.length)}/_matrix/client/v3/account/whoami`;
}

/**
 * issue-token on a server whose logins belong to MAS: a compat session and `mct_` token in MAS's
 * database. The token is printed once, on stdout (or in the one --json object), nowhere else.
 */
async function issueMasTokenCommand(
  args: IssueTokenArgs,
  io: Io,
  out: Output,
  prepared: Prepared & { user: ParsedUser },
  mas: MasPrepared,
  expiresInMs: number | null,
): Promise<void> {
  const { config, user, read } = prepared;
  if (args.deviceId !== undefined) checkMasDeviceId(args.deviceId);
  const issued = await mas.write((ctx) =>
    issueMasToken(ctx, user.localpart, { expiresInMs, deviceId: args.deviceId, inSynapse: inSynapse(prepared, user.userId) }),
  );
  for (const w of issued.warnings) out.warn(w);
  // Synapse maps a MAS token to @username:server and answers "User not found" without that row.
  const synapseHasUser = (await read((ctx) => findUser(ctx, issued.userId))) !== undefined;
  if (!synapseHasUser) {
    out.warn(
      `${issued.userId} has no account in Synapse yet, so Synapse refuses the token ("User not found") until MAS's worker has ` +
        `provisioned it (a provision-user job, scheduled by \`register\` or \`unlock\`). \`check ${issued.username}\` shows whether one is waiting.`,
    );
  }
  const expiresAt = issued.expiresAtMs === null ? null : new Date(issued.expiresAtMs).toISOString();
  const rights = issued.admin ? `with Synapse admin rights (${issued.adminSource})` : 'without admin rights';
  if (args.dryRun) {
    out.success(
      [
        'Dry run: nothing was written. It would change:',
        ...issued.changes.map((c) => `  ${c}`),
      ],
      {
        user_id: issued.userId,
        dry_run: true,
        expires_at: expiresAt,
        device_id: issued.deviceId,
        admin: issued.admin,
        changes: issued.changes,
        jobs: [{ queue: issued.job.queue, id: null }],
      },
    );
    return;
  }
  const next =
    `Synapse accepts the token once MAS's worker has run the sync-devices job (seconds): ` +
    `\`curl -H "Authorization: Bearer $TOKEN" ${whoamiUrl(config.listeners)}\` then answers with ${issued.userId}, ` +
    `and \`check ${issued.username}\` shows whether jobs are still waiting.`;
  // The token alone on stdout, for TOKEN=$(...) in scripts; what to know about it on stderr.
  if (!out.json) io.stderr.write(`Token for ${issued.userId} ${rights}, device ${issued.deviceId}, expires ${expiresAt ?? 'never'}.\n${next}\n`);
  out.success([issued.accessToken], {
    access_token: issued.accessToken,
    user_id: issued.userId,
    expires_at: expiresAt,
    device_id: issued.deviceId,
    admin: issued.admin,
    admin_source: issued.adminSource,
    synapse_user_exists: synapseHasUser,
    changes: issued.changes,
    jobs: [issued.job],
    next,
  });
}
