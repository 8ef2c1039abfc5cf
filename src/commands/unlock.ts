import type { CommandModule } from 'yargs';
import type { Io } from '../io.js';
import type { Output } from '../output.js';
import { readConfig, withUsers } from '../synapse/session.js';
import { unlock } from '../synapse/user-operations.js';
import { reportOperation, userIdOf, withUserPositional, type UserArgs } from './shared.js';

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
      const config = await readConfig(args, io, out);
      const userId = userIdOf(args.user, config);
      const res = await withUsers(config, args, io, out, 'write', (ctx) => unlock(ctx, userId, args));
      await reportOperation(out, args, config, res, {
        done: `${res.userId} is unlocked.`,
        unchanged: `${res.userId} is not locked${args.unshadowban ? ', suspended or shadow-banned' : ' or suspended'}; nothing to change.`,
        cached: 'It caches account state.',
      });
    },
  };
}
