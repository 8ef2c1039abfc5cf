import type { Io } from '../io.js';
import type { Output } from '../output.js';
import { reportOutcome } from '../accounts/report.js';
import { defineCommand, withUserPositional } from './define-command.js';
import { prepareForUser } from './prepare.js';
import { booleanOption } from './boolean-options.js';
import { withLiveOption } from '../live/option.js';

export function unlockCommand(io: Io, out: Output) {
  return defineCommand({
    builder: (y) =>
      withLiveOption(withUserPositional(y)).option(...booleanOption('unshadowban', 'also lift a shadow ban (not with matrix-authentication-service)')),
    handler: async (args) => {
      const { accounts, user } = await prepareForUser(args, io, out, { changes: true });
      reportOutcome(out, 'unlock', args.dryRun, await accounts.unlock(user, { unshadowban: args.unshadowban }));
    },
  });
}
