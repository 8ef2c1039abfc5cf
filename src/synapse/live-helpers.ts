// The helper admins --live makes for one run (src/live/actor.ts), as the database shows them: here,
// below both src/live and src/accounts, because check reports the ones an interrupted run left.
import { HELPER_PREFIX, isHelperName } from './live-helper-name.js';
import { selectUsers, toUserRow, type UserContext } from './user-store.js';

/** check's warning about them. */
export const LEFTOVER_HELPERS = (helpers: readonly string[]) =>
  `Helper admin(s) left by an interrupted --live run: ${helpers.join(', ')}. Their tokens expired within minutes; ` +
  'the next command that changes something through the Admin API (--live) deactivates them.';

/**
 * The unfinished helpers of interrupted runs: active admins named sab-live-<8 hex>, holding no token
 * that is still valid (a helper with one belongs to a run that is going on now). The admin flag
 * matters: anyone may register such a name, and a run deactivates (and erases) what this returns.
 */
export async function leftoverHelpers(ctx: UserContext): Promise<string[]> {
  const rows = (await selectUsers(ctx).where('name', 'like', `@${HELPER_PREFIX}%`).where({ admin: 1 }).orderBy('name')).map(toUserRow);
  const helpers = rows.filter((u) => isHelperName(u.name) && !u.deactivated).map((u) => u.name);
  if (helpers.length === 0) return [];
  const inUse = await ctx.db('access_tokens').distinct('user_id').whereIn('user_id', helpers).where('valid_until_ms', '>', ctx.now());
  const busy = new Set(inUse.map((r: { user_id: string }) => r.user_id));
  return helpers.filter((h) => !busy.has(h));
}

