// The MAS side of promote, demote, unlock and list-admins: same commands, MAS's database.
import type { Output } from '../output.js';
import { demote, listAdmins, promote, unlock, type MasAdminEntry } from '../mas/admin-operations.js';
import { totalOf } from '../mas/admin-sessions.js';
import type { ParsedUser } from '../synapse/user-id.js';
import { MAKE_AN_ADMIN } from '../synapse/user-store.js';
import type { GlobalArgs } from './global-options.js';
import type { Prepared } from './prepare.js';
import type { MasPrepared } from '../mas/session.js';
import { inSynapse, reportMasOperation } from './mas-report.js';

type WithMas = Prepared & { mas: MasPrepared; user: ParsedUser };

export async function masAdminFlag(prepared: WithMas, admin: boolean, args: GlobalArgs & { logout?: boolean }, out: Output): Promise<void> {
  const { mas, user } = prepared;
  const lookup = { inSynapse: inSynapse(prepared, user.userId) };
  if (admin) {
    const res = await mas.write((ctx) => promote(ctx, user.localpart, lookup));
    return reportMasOperation(
      out,
      args,
      res,
      {
        done: `${res.userId} may now request admin rights (MAS: can_request_admin).`,
        unchanged: `${res.userId} may already request admin rights in MAS; nothing to change.`,
      },
      { admin },
    );
  }
  const res = await mas.write((ctx) => demote(ctx, user.localpart, { ...lookup, logout: args.logout ?? false }));
  const held = totalOf(res.adminSessions);
  await reportMasOperation(
    out,
    args,
    res,
    {
      done: `${res.userId} may no longer request admin rights (MAS: can_request_admin).${res.sessionsEnded ? ` ${held} admin session(s) ended.` : ''}`,
      unchanged: `${res.userId} may not request admin rights in MAS${held > 0 && !args.logout ? `, but holds ${held} admin session(s)` : ''}; nothing to change.`,
    },
    {
      admin,
      admin_sessions: { ...res.adminSessions, total: held },
      // On a dry run the sessions would end; on a real run they did.
      sessions_ended: res.sessionsEnded ? held : 0,
    },
  );
}

export async function masUnlock(prepared: WithMas, args: GlobalArgs, out: Output): Promise<void> {
  const { mas, user } = prepared;
  const res = await mas.write((ctx) => unlock(ctx, user.localpart, { inSynapse: inSynapse(prepared, user.userId) }));
  await reportMasOperation(out, args, res, {
    done: `${res.userId} is unlocked in MAS. Synapse learns it when MAS's worker runs the provision-user job (seconds).`,
    unchanged: `${res.userId} is not locked in MAS; nothing to change.`,
  });
}

export function adminMarks(a: MasAdminEntry): string {
  const m = [
    !a.in_mas && 'no MAS user',
    a.deactivated && 'deactivated',
    a.locked && 'locked',
    a.guest && 'guest',
    a.sources.includes('policy.data.admin_users') && 'policy.data.admin_users',
  ].filter(Boolean);
  return m.length > 0 ? `  (${m.join(', ')})` : '';
}

export async function masListAdmins(mas: MasPrepared, out: Output): Promise<void> {
  const admins = await mas.read(listAdmins);
  if (admins.length === 0) out.warn(`No user may request admin rights in MAS. ${MAKE_AN_ADMIN}`);
  out.success(
    admins.map((a) => `${a.user_id}${adminMarks(a)}`),
    { admins, source: 'mas' },
  );
}
