import type { CommandModule } from 'yargs';
import type { Io } from '../io.js';
import type { Output } from '../output.js';
import { prepareForUser, type UserArgs } from './context.js';
import { unlock } from '../synapse/user-operations.js';
import { reportOperation, withUserPositional } from './shared.js';

interface UnlockArgs extends UserArgs {
  unshadowban: boolean;
}

export function unlockCommand(io: Io, out: Output): CommandModule<object, UnlockArgs> {
  return {
    command: 'unlock <user>',
    describe: 'Clear a locked or suspended account (and, with --unshadowban, a shadow ban)',
    builder: (y) =>
      withUserPositional(y).option('unshadowban', {
        type: 'boolean',
        default: false,
        describe: 'also lift a shadow ban',
      }) as never,
    handler: async (args) => {
      const { config, user, write } = await prepareForUser(args, io, out, { changes: true });
      const res = await write((ctx) => unlock(ctx, user.userId, args));
      await reportOperation(out, args, config, res, {
        done: `${res.userId} is unlocked.`,
        unchanged: `${res.userId} is not locked${args.unshadowban ? ', suspended or shadow-banned' : ' or suspended'}; nothing to change.`,
        cached: 'It caches account state.',
      });
    },
  };
}
