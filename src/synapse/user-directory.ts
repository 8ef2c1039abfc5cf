// Profiles and the user directory, written as Synapse's registration and reactivation write them.
import type { Knex } from 'knex';
import { INSERT_BATCH, LOOKUP_BATCH, slices } from '../database/batches.js';
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

export interface ProfileEntry {
  userId: string;
  localpart: string;
  displayname: string | null;
}

/**
 * Creates the profile row of each user that has none (Synapse's create_profile), optionally with a
 * display name; returns the users whose row was created. The profiles table keys on the
 * localpart; newer schemas also carry the full user ID.
 */
export async function ensureProfiles(ctx: UserContext, entries: readonly ProfileEntry[]): Promise<Set<string>> {
  const byFullId = ctx.schema.columns.profiles.has('full_user_id');
  const keyOf = (e: ProfileEntry) => (byFullId ? e.userId : e.localpart);
  const existing = new Set<string>();
  for (const slice of slices(entries, LOOKUP_BATCH)) {
    const col = byFullId ? 'full_user_id' : 'user_id';
    const rows: Array<Record<string, string>> = await ctx.db('profiles').select(col).whereIn(col, slice.map(keyOf));
    for (const r of rows) existing.add(String(r[col]));
  }
  const missing = entries.filter((e) => !existing.has(keyOf(e)));
  for (const slice of slices(missing, INSERT_BATCH)) {
    await ctx.db('profiles').insert(
      slice.map((e) => ({ ...(byFullId ? { full_user_id: e.userId } : {}), user_id: e.localpart, displayname: e.displayname })),
    );
  }
  return new Set(missing.map((e) => e.userId));
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

export interface DirectoryEntry {
  userId: string;
  localpart: string;
  profile: Profile;
}

/** Synapse's update_profile_in_user_dir for local users. */
export async function addToUserDirectory(ctx: UserContext, entries: readonly DirectoryEntry[]): Promise<void> {
  const listed = new Set<string>();
  for (const slice of slices(entries, LOOKUP_BATCH)) {
    const rows = await ctx.db('user_directory').select('user_id').whereIn('user_id', slice.map((e) => e.userId));
    for (const r of rows) listed.add(String(r.user_id));
  }
  const values = (e: DirectoryEntry) => ({ display_name: e.profile.displayname, avatar_url: e.profile.avatarUrl });
  for (const e of entries.filter((e) => listed.has(e.userId))) {
    await ctx.db('user_directory').where({ user_id: e.userId }).update(values(e));
  }
  for (const slice of slices(entries.filter((e) => !listed.has(e.userId)), INSERT_BATCH)) {
    await ctx.db('user_directory').insert(slice.map((e) => ({ user_id: e.userId, ...values(e) })));
  }
  for (const slice of slices(entries, INSERT_BATCH)) {
    await upsertUserDirectorySearch(
      ctx,
      slice.map((e) => ({ ...e, indexedName: e.profile.displayname === null ? null : indexText(e.profile.displayname) })),
    );
  }
}

/**
 * Writes users' rows in Synapse's full-text user directory index, in the form Synapse itself
 * writes them (synapse/storage/databases/main/user_directory.py, _update_profiles_in_user_dir_txn).
 * `indexedName` is the display name already lowercased and NFKC-normalised, or null.
 */
async function upsertUserDirectorySearch(
  ctx: UserContext,
  rows: ReadonlyArray<{ userId: string; localpart: string; indexedName: string | null }>,
): Promise<void> {
  const search = (db: Knex) => db('user_directory_search');
  await byDialect(ctx.dialect, {
    // An FTS4 table has no unique key to upsert on.
    sqlite: async () => {
      await search(ctx.db).whereIn('user_id', rows.map((r) => r.userId)).delete();
      await search(ctx.db).insert(
        rows.map((r) => ({ user_id: r.userId, value: r.indexedName === null ? r.userId : `${r.userId} ${r.indexedName}` })),
      );
    },
    postgres: async () => {
      const tuple = `(?, setweight(to_tsvector('simple', ?), 'A')
                 || setweight(to_tsvector('simple', ?), 'D')
                 || setweight(to_tsvector('simple', COALESCE(?, '')), 'B'))`;
      await ctx.db.raw(
        `INSERT INTO user_directory_search(user_id, vector)
         VALUES ${rows.map(() => tuple).join(', ')}
         ON CONFLICT (user_id) DO UPDATE SET vector = EXCLUDED.vector`,
        rows.flatMap((r) => [r.userId, r.localpart, ctx.serverName, r.indexedName]),
      );
    },
  })();
}
