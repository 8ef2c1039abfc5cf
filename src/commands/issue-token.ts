import { singleValue } from './cli-options.js';
import type { Io } from '../io.js';
import type { Output } from '../output.js';
import { detectRunningSynapse } from '../synapse/live-server.js';
import { defineCommand, prepareForUser, withUserPositional } from './context.js';
import { checkDeviceId } from '../synapse/limits.js';
import { issueToken, parseDuration } from '../synapse/tokens.js';

export function issueTokenCommand(io: Io, out: Output) {
  return defineCommand({
    command: 'issue-token <user>',
    describe: 'Write an access token for the user into the database and print it (works when password login is off)',
    builder: (y) =>
      withUserPositional(y)
        .option('expires-in', {
          ...singleValue('expires-in'),
          default: '1h',
          describe: 'how long the token lasts: 30m, 1h, 7d, ... or never',
        })
        .option('device-id', { ...singleValue('device-id'), describe: 'attach the token to this device (created if missing)' }),
    handler: async (args) => {
      const expiresInMs = parseDuration(args.expiresIn);
      if (args.deviceId !== undefined) checkDeviceId(args.deviceId);
      const { config, user, write } = await prepareForUser(args, io, out, { changes: true });
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
