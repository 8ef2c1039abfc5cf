// Users as Synapse would have left them, and a snapshot to prove a command changed nothing.
import type { Knex } from 'knex';
import { TOOL_TABLES } from '../../src/synapse/tables.js';
import { byDialect, dialectOf, rawRows, sqlBool, tableColumns } from '../../src/database/dialect.js';

export interface SeedUser {
  name: string;
  admin?: boolean;
  deactivated?: boolean;
  isGuest?: boolean;
  appserviceId?: string;
  locked?: boolean;
  suspended?: boolean;
  shadowBanned?: boolean;
  passwordHash?: string | null;
}

export async function seedUser(db: Knex, u: SeedUser): Promise<void> {
  const dialect = dialectOf(db);
  const cols = await tableColumns(db, 'users');
  const optional = { locked: u.locked, suspended: u.suspended, shadow_banned: u.shadowBanned, approved: true };
  await db('users').insert({
    name: u.name,
    password_hash: u.passwordHash === undefined ? '$2b$04$invalidinvalidinvalidinvalidinvalidinvalidinvalidinva' : u.passwordHash,
    creation_ts: 1_700_000_000,
    admin: u.admin ? 1 : 0,
    is_guest: u.isGuest ? 1 : 0,
    deactivated: u.deactivated ? 1 : 0,
    appservice_id: u.appserviceId ?? null,
    ...Object.fromEntries(
      Object.entries(optional)
        .filter(([c, v]) => cols.has(c) && v !== undefined)
        .map(([c, v]) => [c, sqlBool(dialect, v as boolean)]),
    ),
  });
  const localpart = u.name.slice(1, u.name.indexOf(':'));
  const profileCols = await tableColumns(db, 'profiles');
  await db('profiles').insert({
    user_id: localpart,
    displayname: localpart,
    ...(profileCols.has('full_user_id') ? { full_user_id: u.name } : {}),
  });
}

export async function seedToken(db: Knex, userId: string, id: number, token: string): Promise<void> {
  await db('access_tokens').insert({ id, user_id: userId, token, device_id: null, valid_until_ms: null });
}

/** An HTTP pusher as Synapse's add_pusher writes it (schema 94). */
export async function seedPusher(
  db: Knex,
  p: { id: number; userId: string; pushkey: string; deviceId?: string | null; accessToken?: number | null },
): Promise<void> {
  await db('pushers').insert({
    id: p.id,
    user_name: p.userId,
    access_token: p.accessToken ?? null,
    profile_tag: '',
    kind: 'http',
    app_id: 'com.example.app',
    app_display_name: 'Example',
    device_display_name: 'phone',
    pushkey: p.pushkey,
    ts: 1_700_000_000_000,
    lang: 'en',
    data: JSON.stringify({ url: 'http://127.0.0.1:9/_matrix/push/v1/notify' }),
    last_stream_ordering: 0,
    enabled: sqlBool(dialectOf(db), true),
    device_id: p.deviceId ?? null,
    instance_name: 'master',
  });
}

// user_directory_search is read apart: PostgreSQL's tsvector has to be read as text.
const SNAPSHOT_TABLES = TOOL_TABLES.filter((t) => t !== 'user_directory_search');

/** Every row the tool could touch, in a stable order. */
export async function snapshot(db: Knex): Promise<Record<string, unknown[]>> {
  const dialect = dialectOf(db);
  const out: Record<string, unknown[]> = {};
  for (const t of SNAPSHOT_TABLES) {
    const rows: unknown[] = await db(t).select('*');
    out[t] = rows.map((r) => JSON.stringify(r)).sort();
  }
  const search = byDialect(dialect, {
    sqlite: 'SELECT user_id, value FROM user_directory_search ORDER BY user_id',
    postgres: 'SELECT user_id, vector::text AS value FROM user_directory_search ORDER BY user_id',
  });
  out.user_directory_search = rawRows(dialect, await db.raw(search));
  return out;
}

/** Another writer that registers the same name between the tool's check and its insert. */
export async function seedRacingRegistration(db: Knex): Promise<void> {
  if (dialectOf(db) === 'sqlite') {
    await db.raw(`CREATE TRIGGER sab_race BEFORE INSERT ON users WHEN NEW.creation_ts > 0 BEGIN
      INSERT INTO users(name, creation_ts, admin, is_guest) VALUES (NEW.name, 0, 0, 0); END`);
  } else {
    await db.raw(`CREATE FUNCTION sab_race() RETURNS trigger AS $$ BEGIN
      IF NEW.creation_ts > 0 THEN INSERT INTO users(name, creation_ts, admin, is_guest) VALUES (NEW.name, 0, 0, 0); END IF;
      RETURN NEW; END $$ LANGUAGE plpgsql`);
    await db.raw('CREATE TRIGGER sab_race BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION sab_race()');
  }
}
