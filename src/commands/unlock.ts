import type { Io } from '../io.js';
import type { Output } from '../output.js';
import { defineCommand, prepareForUser, withUserPositional } from './context.js';
import { unlock } from '../synapse/user-operations.js';
import { reportOperation } from './report.js';

export function unlockCommand(io: Io, out: Output) {
  return defineCommand({
    command: 'unlock <user>',
    describe: 'Clear a locked or suspended account (and, with --unshadowban, a shadow ban)',
    builder: (y) =>
      withUserPositional(y).option('unshadowban', {
        type: 'boolean',
        default: false,
        describe: 'also lift a shadow ban',
      }),
    handler: async (args) => {
      const { config, user, write } = await prepareForUser(args, io, out, { changes: true });
      const res = await write((ctx) => unlock(ctx, user.userId, args));
      await reportOperation(out, args, config, res, {
        done: `${res.userId} is unlocked.`,
        unchanged: `${res.userId} is not locked${args.unshadowban ? ', suspended or shadow-banned' : ' or suspended'}; nothing to change.`,
        cached: 'It caches account state.',
      });
    },
  });
}
