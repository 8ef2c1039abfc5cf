import type { Io } from '../io.js';
import type { Output } from '../output.js';
import { defineCommand } from './define-command.js';
import { prepare } from './prepare.js';
import { listAdmins, type AdminEntry } from '../synapse/user-operations.js';
import { MAKE_AN_ADMIN } from '../synapse/user-store.js';

function marks(a: AdminEntry): string {
  const m = [
    a.deactivated && 'deactivated',
    a.locked && 'locked',
    a.suspended && 'suspended',
    a.shadow_banned && 'shadow-banned',
    a.user_type,
  ].filter(Boolean);
  return m.length > 0 ? `  (${m.join(', ')})` : '';
}

export function listAdminsCommand(io: Io, out: Output) {
  return defineCommand({
    builder: (y) => y,
    handler: async (args) => {
      const { read, mas } = await prepare(args, io, out, { changes: false });
      if (mas !== undefined) return (await import('./mas-admin.js')).masListAdmins(mas, out);
      const admins = await read(listAdmins);
      if (admins.length === 0) out.warn(`There is no server admin. ${MAKE_AN_ADMIN}`);
      out.success(admins.map((a) => `${a.user_id}${marks(a)}`), { admins });
    },
  });
}
