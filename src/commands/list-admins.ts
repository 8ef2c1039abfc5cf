import type { Io } from '../io.js';
import type { Output } from '../output.js';
import type { JsonOf } from '../accounts/json-shapes.js';
import { defineCommand } from './define-command.js';
import { prepare } from './prepare.js';

export function listAdminsCommand(io: Io, out: Output) {
  return defineCommand({
    builder: (y) => y,
    handler: async (args) => {
      const { accounts } = await prepare(args, io, out, { changes: false });
      const listing = await accounts.listAdmins();
      for (const w of listing.warnings) out.warn(w);
      const json: JsonOf<'list-admins'> = { source: listing.source, admins: listing.admins };
      out.success(
        listing.admins.map((a) => {
          const marks = listing.marks(a);
          return `${a.user_id}${marks.length > 0 ? `  (${marks.join(', ')})` : ''}`;
        }),
        json,
      );
    },
  });
}
