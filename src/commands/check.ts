import type { Io } from '../io.js';
import type { Output } from '../output.js';
import { defineCommand } from './define-command.js';
import { prepare } from './prepare.js';
import { parseUserArg } from '../synapse/user-id.js';

export function checkCommand(io: Io, out: Output) {
  return defineCommand({
    builder: (y) =>
      y.positional('users', { type: 'string', array: true, default: [] as string[], describe: 'users to look up in Synapse (and MAS)' }),
    handler: async (args) => {
      const { config, accounts } = await prepare(args, io, out, { changes: false, masOptional: true });
      const named = args.users.map((u) => parseUserArg(String(u), config.serverName));
      const { lines, data: report, problem } = await accounts.health(named);
      if (problem === undefined) {
        out.success(lines, report);
        return;
      }
      // The report still goes out (on stderr, or inside the JSON error) so the failure can be read in context.
      out.aside(lines);
      problem.details = report;
      throw problem;
    },
  });
}
