// MAS's compat_sessions rows (a Matrix client's session on one device), written by issue-token and
// adopt alike, so that the statement and its version differences are in one place.
import { newMasId } from './ids.js';
import type { MasContext } from './session.js';

export interface NewCompatSession {
  /** users.user_id (a UUID). */
  userId: string;
  deviceId: string;
  /** Milliseconds; the session's id is a ULID at this time. */
  createdMs: number;
  /** is_synapse_admin: whether the session's tokens carry Synapse admin rights. */
  admin: boolean;
  lastActiveAt?: Date | null;
  lastActiveIp?: string | null;
  userAgent?: string | null;
  /** The device's display name (compat_sessions.human_name, where this MAS has it). */
  humanName?: string | null;
}

/** Inserts one compat session and returns its id. */
export async function insertCompatSession(ctx: MasContext, s: NewCompatSession): Promise<string> {
  const id = newMasId(s.createdMs);
  await ctx.db('compat_sessions').insert({
    compat_session_id: id,
    user_id: s.userId,
    device_id: s.deviceId,
    created_at: new Date(s.createdMs),
    is_synapse_admin: s.admin,
    last_active_at: s.lastActiveAt ?? null,
    last_active_ip: s.lastActiveIp ?? null,
    user_agent: s.userAgent ?? null,
    ...(ctx.schema.has.compatHumanName && s.humanName !== undefined ? { human_name: s.humanName } : {}),
  });
  return id;
}
