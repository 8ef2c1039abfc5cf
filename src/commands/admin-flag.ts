// promote and demote: the same command with the flag turned the other way.
import type { Io } from '../io.js';
import type { Output } from '../output.js';
import { defineCommand, prepareForUser, withUserPositional } from './context.js';
import { demote, promote } from '../synapse/user-operations.js';
import { reportOperation } from './report.js';

function adminFlagCommand(admin: boolean, io: Io, out: Output) {
  const name = admin ? 'promote' : 'demote';
  return defineCommand({
    command: `${name} <user>`,
    describe: admin
      ? 'Make an existing user a server admin (already admin: nothing to do)'
      : 'Take server admin away from a user (not an admin: nothing to do)',
    builder: (y) => withUserPositional(y),
    handler: async (args) => {
      const { config, user, write } = await prepareForUser(args, io, out, { changes: true });
      const res = await write((ctx) => (admin ? promote : demote)(ctx, user.userId));
      await reportOperation(
        out,
        args,
        config,
        res,
        {
          done: admin ? `${res.userId} is now a server admin.` : `${res.userId} is no longer a server admin.`,
          unchanged: `${res.userId} is ${admin ? 'already' : 'not'} a server admin; nothing to change.`,
          cached: 'It caches who is an admin.',
        },
        { admin },
      );
    },
  });
}

export const promoteCommand = (io: Io, out: Output) => adminFlagCommand(true, io, out);
export const demoteCommand = (io: Io, out: Output) => adminFlagCommand(false, io, out);
