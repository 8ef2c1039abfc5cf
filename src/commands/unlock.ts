import type { Io } from '../io.js';
import type { Output } from '../output.js';
import { defineCommand, withUserPositional } from './define-command.js';
import { prepareForUser } from './prepare.js';
import { unlock } from '../synapse/user-operations.js';
import { reportOperation } from './report.js';
import { booleanOption } from './boolean-options.js';
import { withLiveOption } from '../live/run.js';
import { liveContext, liveUnlock } from '../live/commands.js';

export function unlockCommand(io: Io, out: Output) {
  return defineCommand({
    builder: (y) =>
      withLiveOption(withUserPositional(y)).option(...booleanOption('unshadowban', 'also lift a shadow ban')),
    handler: async (args) => {
      const prepared = await prepareForUser(args, io, out, { changes: true });
      if (prepared.mas !== undefined) {
        // MAS has no shadow ban or suspension of its own: only the lock is its to clear.
        if (args.unshadowban) out.warn('--unshadowban does not apply with matrix-authentication-service: MAS has no shadow ban.');
        return (await import('./mas-admin.js')).masUnlock({ ...prepared, mas: prepared.mas }, args, out);
      }
      const { config, user, write } = prepared;
      if (await liveUnlock(liveContext(prepared, io, out, args), user.userId, args.unshadowban)) return;
      const res = await write((ctx) => unlock(ctx, user.userId, args));
      await reportOperation(out, args, config, res, {
        done: `${res.userId} is unlocked.`,
        unchanged: `${res.userId} is not locked${args.unshadowban ? ', suspended or shadow-banned' : ' or suspended'}; nothing to change.`,
        cached: 'It caches account state.',
      });
    },
  });
}
