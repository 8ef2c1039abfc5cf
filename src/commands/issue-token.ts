import type { Argv } from 'yargs';
import { singleValue } from './cli-options.js';
import type { Io } from '../io.js';
import type { Output } from '../output.js';
import { reportToken } from '../accounts/report.js';
import { defineCommand, withUserPositional } from './define-command.js';
import type { GlobalOptions } from './global-options.js';
import { prepareForUser } from './prepare.js';
import { parseDuration } from '../synapse/tokens.js';

function issueTokenOptions(y: Argv<GlobalOptions>) {
  return withUserPositional(y)
    .option('expires-in', {
      ...singleValue('expires-in'),
      default: '1h',
      describe: 'how long the token lasts: 30m, 1h, 7d, ... or never',
    })
    .option('device-id', { ...singleValue('device-id'), describe: 'attach the token to this device (created if missing)' });
}

export function issueTokenCommand(io: Io, out: Output) {
  return defineCommand({
    builder: issueTokenOptions,
    handler: async (args) => {
      const expiresInMs = parseDuration(args.expiresIn);
      const { accounts, user } = await prepareForUser(args, io, out, { changes: true });
      // The store checks the device ID by its rules before it opens its transaction.
      reportToken(out, args.dryRun, await accounts.issueToken(user, { expiresInMs, deviceId: args.deviceId }));
    },
  });
}
