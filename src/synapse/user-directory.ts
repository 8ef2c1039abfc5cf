// Profiles and the user directory, written as Synapse's registration and reactivation write them.
import { upsertUserDirectorySearch } from '../database/dialect.js';
import type { UserContext } from './user-store.js';

/** Synapse's _filter_text_for_index: lowercase, then NFKC. */
function indexText(text: string): string {
  return text.toLowerCase().normalize('NFKC');
}

/**
 * Creates the profile row if there is none (Synapse's create_profile), optionally with a display
 * name. The profiles table keys on the localpart; newer schemas also carry the full user ID.
 */
export async function ensureProfile(
  ctx: UserContext,
  userId: string,
  localpart: string,
  displayname: string | null,
): Promise<boolean> {
  const existing = await ctx.db('profiles').first('user_id').where(profileKey(ctx, userId, localpart));
  if (existing !== undefined) return false;
  await ctx.db('profiles').insert({ ...profileKey(ctx, userId, localpart), user_id: localpart, displayname });
  return true;
}

/** How a user's profile row is found: by the full user ID where the schema has it, else by localpart. */
function profileKey(ctx: UserContext, userId: string, localpart: string): { full_user_id: string } | { user_id: string } {
  return ctx.schema.columns.profiles.has('full_user_id') ? { full_user_id: userId } : { user_id: localpart };
}

export interface Profile {
  displayname: string | null;
  avatarUrl: string | null;
}

export async function readProfile(ctx: UserContext, userId: string, localpart: string): Promise<Profile> {
  const row = await ctx.db('profiles').first('displayname', 'avatar_url').where(profileKey(ctx, userId, localpart));
  return { displayname: row?.displayname ?? null, avatarUrl: row?.avatar_url ?? null };
}

/** Synapse's update_profile_in_user_dir for a local user. */
export async function addToUserDirectory(
  ctx: UserContext,
  userId: string,
  localpart: string,
  { displayname, avatarUrl }: Profile,
): Promise<void> {
  const values = { display_name: displayname, avatar_url: avatarUrl };
  const existing = await ctx.db('user_directory').first('user_id').where({ user_id: userId });
  if (existing === undefined) {
    await ctx.db('user_directory').insert({ user_id: userId, ...values });
  } else {
    await ctx.db('user_directory').where({ user_id: userId }).update(values);
  }
  await upsertUserDirectorySearch(
    ctx.db,
    userId,
    localpart,
    ctx.serverName,
    displayname === null ? null : indexText(displayname),
  );
}
