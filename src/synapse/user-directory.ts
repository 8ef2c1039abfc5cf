// Profiles and the user directory, written as Synapse's registration and reactivation write them.
import type { Knex } from 'knex';
import { byDialect } from '../database/dialect.js';
import { appServiceInterested, type AppServiceUsers } from '../config/appservice.js';
import type { UserContext } from './user-store.js';

/** Synapse's rule for whom the user directory lists: neither support users nor users an application service is interested in. */
export function listedInUserDirectory(userId: string, userType: string | null, appServices: readonly AppServiceUsers[]): boolean {
  return userType !== 'support' && !appServiceInterested(userId, appServices);
}

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
  await upsertUserDirectorySearch(ctx, userId, localpart, displayname === null ? null : indexText(displayname));
}

/**
 * Writes a user's row in Synapse's full-text user directory index, in the form Synapse itself
 * writes it (synapse/storage/databases/main/user_directory.py, _update_profiles_in_user_dir_txn).
 * `indexedName` is the display name already lowercased and NFKC-normalised, or null.
 */
async function upsertUserDirectorySearch(ctx: UserContext, userId: string, localpart: string, indexedName: string | null): Promise<void> {
  const search = (db: Knex) => db('user_directory_search');
  await byDialect(ctx.dialect, {
    // An FTS4 table has no unique key to upsert on.
    sqlite: async () => {
      await search(ctx.db).where({ user_id: userId }).delete();
      await search(ctx.db).insert({ user_id: userId, value: indexedName === null ? userId : `${userId} ${indexedName}` });
    },
    postgres: async () => {
      await ctx.db.raw(
        `INSERT INTO user_directory_search(user_id, vector)
         VALUES (?, setweight(to_tsvector('simple', ?), 'A')
                 || setweight(to_tsvector('simple', ?), 'D')
                 || setweight(to_tsvector('simple', COALESCE(?, '')), 'B'))
         ON CONFLICT (user_id) DO UPDATE SET vector = EXCLUDED.vector`,
        [userId, localpart, ctx.serverName, indexedName],
      );
    },
  })();
}
