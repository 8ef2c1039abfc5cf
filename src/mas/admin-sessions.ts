// A user's sessions that carry Synapse admin rights, and ending them. Taking can_request_admin
// away leaves these working: MAS decides a token's scope when the session starts.
import type { Knex } from 'knex';
import type { MasContext } from './session.js';
import type { MasUser } from './user-store.js';

/** The scope Synapse reads as "server admin" on a MAS token. */
export const SYNAPSE_ADMIN_SCOPE = 'urn:synapse:admin:*';

export interface AdminSessions {
  /** Active compat sessions with is_synapse_admin (issue-token, syn2mas-migrated admin devices). */
  compat: number;
  /** Active OAuth 2 sessions granted the admin scope (admin clients). */
  oauth2: number;
  /** Active personal sessions acting as the user with the admin scope (MAS 1.5+). */
  personal: number;
}

export function totalOf(s: AdminSessions): number {
  return s.compat + s.oauth2 + s.personal;
}

function compatSessions(ctx: MasContext, user: MasUser) {
  return ctx.db('compat_sessions').where({ user_id: user.id, is_synapse_admin: true }).whereNull('finished_at');
}

function oauth2Sessions(ctx: MasContext, user: MasUser) {
  return ctx.db('oauth2_sessions').where({ user_id: user.id }).whereNull('finished_at').whereRaw('? = ANY(scope_list)', [SYNAPSE_ADMIN_SCOPE]);
}

function personalSessions(ctx: MasContext, user: MasUser) {
  return ctx
    .db('personal_sessions')
    .where({ actor_user_id: user.id })
    .whereNull('revoked_at')
    .whereRaw('? = ANY(scope_list)', [SYNAPSE_ADMIN_SCOPE]);
}

async function count(q: ReturnType<MasContext['db']>): Promise<number> {
  const row = await q.count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

export async function countAdminSessions(ctx: MasContext, user: MasUser): Promise<AdminSessions> {
  return {
    compat: await count(compatSessions(ctx, user)),
    oauth2: await count(oauth2Sessions(ctx, user)),
    personal: ctx.schema.has.personalSessions ? await count(personalSessions(ctx, user)) : 0,
  };
}

/**
 * Ends them as MAS ends sessions: finished_at on compat and OAuth 2 sessions; a personal session
 * is revoked with its tokens. MAS's introspection then answers "inactive" for their tokens.
 */
export async function endAdminSessions(ctx: MasContext, user: MasUser): Promise<AdminSessions> {
  const now = new Date(ctx.now());
  const compat = await compatSessions(ctx, user).update({ finished_at: now });
  const oauth2 = await oauth2Sessions(ctx, user).update({ finished_at: now });
  const personal = ctx.schema.has.personalSessions ? await revokePersonalSessions(ctx, now, () => personalSessions(ctx, user)) : 0;
  return { compat, oauth2, personal };
}

/**
 * Revokes the personal sessions `sessions` selects (active ones), as MAS's revoke of one session
 * does: its tokens first, then the session. Returns how many sessions it revoked.
 */
export async function revokePersonalSessions(ctx: MasContext, now: Date, sessions: () => Knex.QueryBuilder): Promise<number> {
  await ctx
    .db('personal_access_tokens')
    .whereIn('personal_session_id', sessions().select('personal_session_id'))
    .whereNull('revoked_at')
    .update({ revoked_at: now });
  return sessions().update({ revoked_at: now });
}

export function describeSessions(s: AdminSessions): string {
  const parts = [
    s.compat > 0 ? `${s.compat} compat (token or device) session(s) with is_synapse_admin` : undefined,
    s.oauth2 > 0 ? `${s.oauth2} OAuth 2 session(s) with the scope ${SYNAPSE_ADMIN_SCOPE}` : undefined,
    s.personal > 0 ? `${s.personal} personal access token session(s) with that scope` : undefined,
  ].filter(Boolean);
  return parts.join(', ');
}
