// Reading MAS's users. (STUB: helper "mas-ops" implements.)
import type { MasContext } from './session.js';

export interface MasUser {
  /** users.user_id as stored (uuid). */
  id: string;
  /** The same id as a ULID: what job payloads carry. */
  ulid: string;
  username: string;
  createdAt: Date;
  lockedAt: Date | null;
  /** Always null on MAS versions without the column. */
  deactivatedAt: Date | null;
  canRequestAdmin: boolean;
  isGuest: boolean;
}

/** MAS's own lookup: case-insensitive, the exact-case row preferred. */
export async function findMasUser(_ctx: MasContext, _localpart: string): Promise<MasUser | undefined> {
  throw new Error('findMasUser: not implemented yet');
}

/** findMasUser, or UserNotFoundError naming the user and what to do. */
export async function requireMasUser(_ctx: MasContext, _localpart: string): Promise<MasUser> {
  throw new Error('requireMasUser: not implemented yet');
}
