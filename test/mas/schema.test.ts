// MAS's slice (migrations/mas) against the recorded shape of MAS's real schema, the test world
// (test/helpers/mas-world.ts), and inspectMasSchema on real PostgreSQL.
import type { Knex } from 'knex';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeColumns, describeUniqueKeys } from '../../migrations/introspect.js';
import {
  BACKDATED_MIGRATIONS,
  MAS_ENUMS,
  MAS_TABLES,
  MAS_VARIANTS,
  RECORDED,
  type MasTable,
  type MasVariant,
} from '../../migrations/mas/index.js';
import { SchemaError } from '../../src/errors.js';
import {
  inspectMasSchema,
  MAS_SCHEMA_MILESTONES,
  NEWEST_KNOWN_MAS_MIGRATION,
  OLDEST_SUPPORTED_MAS_MIGRATION,
  type MasSchema,
} from '../../src/mas/schema.js';
import type { ExpectedColumn } from '../../migrations/synapse/tables.js';
import { ulidOf } from '../../src/mas/ids.js';
import {
  masSnapshot,
  masWorld,
  seedBrowserSession,
  seedCompatSession,
  seedMasUser,
  seedOAuthSession,
  seedWorker,
  type MasWorld,
} from '../helpers/mas-world.js';
import { FIXED_NOW } from '../helpers/run-cli.js';

type Shape = Record<string, ExpectedColumn[]>;

async function builtShape(db: Knex): Promise<Shape> {
  const out: Shape = {};
  for (const table of MAS_TABLES) {
    const columns = await describeColumns(db, table);
    if (columns.length > 0) out[table] = columns;
  }
  return out;
}

/** Columns as "table.column type [not null]" lines, for differences that read well on failure. */
function columnLines(shape: Partial<Record<string, ExpectedColumn[]>>, withDefaults = false): string[] {
  return Object.entries(shape)
    .flatMap(([table, columns]) =>
      (columns ?? []).map(
        (c) => `${table}.${c.name} ${c.type}${c.notNull ? ' not null' : ''}${withDefaults && c.default ? ` default ${c.default}` : ''}`,
      ),
    )
    .sort();
}

/**
 * What MAS changed in the slice between 0.13.0 and 1.22.0: the differences between our two
 * variants must be exactly these (lines of columnLines; "-" only in 0.13, "+" only in 1.22).
 */
const DIFFERENCES_0_13_TO_1_22 = [
  '+compat_sessions.device_id text',
  '+compat_sessions.human_name text',
  '+oauth2_sessions.human_name text',
  '+personal_access_tokens.access_token_sha256 bytea not null',
  '+personal_access_tokens.created_at timestamp with time zone not null',
  '+personal_access_tokens.expires_at timestamp with time zone',
  '+personal_access_tokens.personal_access_token_id uuid not null',
  '+personal_access_tokens.personal_session_id uuid not null',
  '+personal_access_tokens.revoked_at timestamp with time zone',
  '+personal_sessions.actor_user_id uuid not null',
  '+personal_sessions.created_at timestamp with time zone not null',
  '+personal_sessions.human_name text not null',
  '+personal_sessions.last_active_at timestamp with time zone',
  '+personal_sessions.last_active_ip inet',
  '+personal_sessions.owner_oauth2_client_id uuid',
  '+personal_sessions.owner_user_id uuid',
  '+personal_sessions.personal_session_id uuid not null',
  '+personal_sessions.revoked_at timestamp with time zone',
  '+personal_sessions.scope_list text[] not null',
  '+users.deactivated_at timestamp with time zone',
  '+users.is_guest boolean not null',
  '-compat_sessions.device_id text not null',
  '-user_emails.confirmed_at timestamp with time zone',
  '-users.primary_user_email_id uuid',
];

function diff(older: string[], newer: string[]): string[] {
  return [
    ...newer.filter((l) => !older.includes(l)).map((l) => `+${l}`),
    ...older.filter((l) => !newer.includes(l)).map((l) => `-${l}`),
  ].sort();
}

describe.each(MAS_VARIANTS)('MAS slice, variant %s', (variant: MasVariant) => {
  let world: MasWorld;
  beforeAll(async () => {
    world = await masWorld({ variant });
  });
  afterAll(async () => world?.cleanup());

  const recorded = RECORDED.shapes[variant]!;

  it('has the tables, columns, types, nullability and defaults of the real MAS schema', async () => {
    expect(columnLines(await builtShape(world.mas), true)).toEqual(columnLines(recorded.tables, true));
  });

  it('has the unique keys of the real MAS schema', async () => {
    for (const table of Object.keys(recorded.tables) as MasTable[]) {
      expect({ table, keys: await describeUniqueKeys(world.mas, table) }).toEqual({ table, keys: recorded.uniqueKeys[table] });
    }
  });

  it("has the real schema's enum values", async () => {
    for (const name of MAS_ENUMS) {
      const { rows } = await world.mas.raw<{ rows: { label: string }[] }>(
        'SELECT e.enumlabel AS label FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = ? ORDER BY e.enumsortorder',
        [name],
      );
      expect(rows.map((r) => r.label)).toEqual(recorded.enums[name]);
    }
  });

  it("records the release's migrations in _sqlx_migrations as sqlx does", async () => {
    const rows = await world.mas('_sqlx_migrations').select('version', 'description', 'success', 'checksum').orderBy('version');
    expect(rows.length).toBeGreaterThan(40);
    expect(Number(rows.at(-1).version)).toBe(recorded.newestMigration);
    const known = new Map(RECORDED.migrations.map((m) => [m.version, m]));
    for (const row of rows) {
      const m = known.get(Number(row.version))!;
      expect({ description: row.description, success: row.success, checksum: row.checksum.toString('hex') }).toEqual({
        description: m.description,
        success: true,
        checksum: m.checksum,
      });
    }
  });
});

describe('MAS slice variants', () => {
  it('the recorded 0.13 and 1.22 shapes differ by exactly the documented changes (each variant matches its recording above)', () => {
    const [older, newer] = [RECORDED.shapes['0.13']!, RECORDED.shapes['1.22']!];
    expect(diff(columnLines(older.tables), columnLines(newer.tables))).toEqual(DIFFERENCES_0_13_TO_1_22);
  });

  it('the recording covers all of MAS 1.22 (167 migrations, 76 without a transaction)', () => {
    expect(RECORDED.migrations).toHaveLength(167);
    expect(RECORDED.migrations.filter((m) => m.noTransaction)).toHaveLength(76);
    expect(RECORDED.shapes['1.22']!.newestMigration).toBe(20260720134722);
  });
});

describe('the MAS test world', () => {
  let world: MasWorld;
  beforeAll(async () => {
    world = await masWorld();
  });
  afterAll(async () => world?.cleanup());

  it('seeds users with ULID ids made at their creation time', async () => {
    const created = FIXED_NOW - 3_600_000;
    const bob = await seedMasUser(world.mas, { username: 'bob', canRequestAdmin: true, isGuest: true, createdAt: created, passwordHash: 'h', version: 2 });
    expect(ulidOf(bob.id)).toBe(bob.ulid);
    // A ULID's first 10 characters are its time.
    const { decodeTime } = await import('ulid');
    expect(decodeTime(bob.ulid)).toBe(created);
    const row = await world.mas('users').first('*').where({ user_id: bob.id });
    expect(row).toMatchObject({ username: 'bob', can_request_admin: true, is_guest: true, locked_at: null, deactivated_at: null });
    expect(await world.mas('user_passwords').first('version', 'hashed_password').where({ user_id: bob.id })).toEqual({ version: 2, hashed_password: 'h' });
  });

  it('seeds sessions and workers', async () => {
    const carol = await seedMasUser(world.mas, { username: 'carol' });
    const browser = await seedBrowserSession(world.mas, { userId: carol.id });
    const compat = await seedCompatSession(world.mas, { userId: carol.id, isSynapseAdmin: true, userSessionId: browser });
    expect(compat.token).toMatch(/^mct_[A-Za-z0-9]{30}_[A-Za-z0-9]{6}$/);
    const oauth = await seedOAuthSession(world.mas, { userId: carol.id });
    expect((await world.mas('oauth2_sessions').first('scope_list').where({ oauth2_session_id: oauth })).scope_list).toContain('urn:synapse:admin:*');
    const worker = await seedWorker(world.mas);
    expect(new Date((await world.mas('queue_workers').first('last_seen_at').where({ queue_worker_id: worker })).last_seen_at).getTime()).toBe(FIXED_NOW - 5_000);
  });

  it('snapshots see a change in either database', async () => {
    const before = await world.snapshot();
    await world.mas('users').update({ can_request_admin: true }).where({ username: 'carol' });
    expect((await world.snapshot()).mas).not.toEqual(before.mas);
    await world.synapse('users').insert({ name: '@carol:example.test', creation_ts: 0, admin: 0, is_guest: 0, deactivated: 0 });
    expect((await world.snapshot()).synapse).not.toEqual(before.synapse);
  });

  it('wakes MAS workers: a job inserted as available notifies queue_available with its queue name', async () => {
    const listener = new pg.Client({ connectionString: world.masDatabaseUrl });
    await listener.connect();
    try {
      const notes: { channel: string; payload?: string }[] = [];
      listener.on('notification', (n) => notes.push({ channel: n.channel, payload: n.payload }));
      await listener.query('LISTEN queue_available');
      const { newMasId } = await import('../../src/mas/ids.js');
      await world.mas('queue_jobs').insert({ queue_job_id: newMasId(FIXED_NOW), queue_name: 'provision-user', payload: {}, metadata: {}, created_at: new Date(FIXED_NOW) });
      await world.mas('queue_jobs').insert({ queue_job_id: newMasId(FIXED_NOW), queue_name: 'sync-devices', status: 'scheduled', created_at: new Date(FIXED_NOW) });
      // Not a sleep: PostgreSQL delivers notifications in commit order, so once a marker sent
      // after both inserts arrives, any notification they caused has arrived too.
      await listener.query('LISTEN sab_marker');
      const marker = new Promise<void>((resolve) => listener.on('notification', (n) => n.channel === 'sab_marker' && resolve()));
      await world.mas.raw("NOTIFY sab_marker, 'after both inserts'");
      await marker;
      expect(notes.filter((n) => n.channel !== 'sab_marker')).toEqual([{ channel: 'queue_available', payload: '{"queue" : "provision-user"}' }]);
    } finally {
      await listener.end();
    }
  });

  it('writes configs that point at both databases', async () => {
    const { readFile } = await import('node:fs/promises');
    const { parse } = await import('yaml');
    const hs = parse(await readFile(world.homeserverYaml, 'utf8'));
    const mas = parse(await readFile(world.masConfigYaml, 'utf8'));
    expect(hs.matrix_authentication_service).toEqual({ enabled: true, endpoint: 'http://127.0.0.1:1/', secret: world.sharedSecret });
    expect(hs.database.args.dbname).toBe((world.synapseSettings as { connection: { database: string } }).connection.database);
    expect(mas.database.uri).toBe(world.masDatabaseUrl);
    expect(mas.matrix).toEqual({ homeserver: 'example.test', endpoint: 'http://127.0.0.1:1/', secret: world.sharedSecret });
    expect(mas.passwords.schemes).toEqual([{ version: 1, algorithm: 'argon2id' }]);
  });
});

describe('inspectMasSchema', () => {
  const WHERE = "MAS's database (127.0.0.1/mas)";

  /** A fresh world of `variant`, arranged by `arrange`; the inspection must not change a row. */
  async function inspect(variant: MasVariant, arrange?: (db: Knex, world: MasWorld) => Promise<void>, on: 'mas' | 'synapse' = 'mas') {
    const world = await masWorld({ variant });
    try {
      await arrange?.(world.mas, world);
      const db = world[on];
      const before = await masSnapshot(db);
      const tablesBefore = await db.raw('SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema()');
      const result = await inspectMasSchema(db, WHERE).then(
        (schema) => ({ schema, error: undefined }),
        (error: unknown) => ({ schema: undefined, error }),
      );
      expect(await masSnapshot(db)).toEqual(before);
      expect((await db.raw('SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema()')).rows).toEqual(tablesBefore.rows);
      return result;
    } finally {
      await world.cleanup();
    }
  }

  function refusal(result: { error: unknown }): string {
    expect(result.error).toBeInstanceOf(SchemaError);
    expect((result.error as SchemaError).exitCode).toBe(4);
    const message = (result.error as SchemaError).message;
    expect(message).toContain(WHERE);
    return message;
  }

  it('knows MAS 1.22 and everything in it', async () => {
    // The world has no user_unsupported_third_party_ids of its own; MAS 0.14 added it.
    const { schema } = await inspect('1.22', (db) =>
      db.raw('CREATE TABLE user_unsupported_third_party_ids (user_id UUID NOT NULL, medium TEXT NOT NULL, address TEXT NOT NULL, created_at TIMESTAMP WITH TIME ZONE NOT NULL)'),
    );
    expect(schema).toEqual<MasSchema>({
      newestMigration: 20260720134722,
      release: '1.22.0',
      has: {
        deactivatedAt: true,
        isGuest: true,
        emailConfirmedAt: false,
        primaryUserEmailId: false,
        personalSessions: true,
        compatHumanName: true,
        devicelessCompatSessions: true,
        unsupportedThirdPartyIds: true,
      },
      warnings: [],
    });
  });

  it('supports MAS 0.13, before is_guest and deactivated_at, with confirmed_at and primary_user_email_id', async () => {
    const { schema } = await inspect('0.13');
    expect(schema).toEqual<MasSchema>({
      newestMigration: 20250115155255,
      release: '0.13.0 or newer',
      has: {
        deactivatedAt: false,
        isGuest: false,
        emailConfirmedAt: true,
        primaryUserEmailId: true,
        personalSessions: false,
        compatHumanName: false,
        devicelessCompatSessions: false,
        unsupportedThirdPartyIds: false,
      },
      warnings: [],
    });
  });

  it("refuses Synapse's database, saying what to check", async () => {
    const message = refusal(await inspect('1.22', undefined, 'synapse'));
    expect(message).toMatch(/is not a matrix-authentication-service database \(no _sqlx_migrations table\)\. It looks like Synapse's database\./);
    expect(message).toMatch(/--mas-database-url/);
  });

  it('refuses another sqlx application (migrations, but no MAS tables)', async () => {
    const message = refusal(
      await inspect('1.22', async (db) => {
        await db.raw('DROP TABLE compat_refresh_tokens, compat_access_tokens, compat_sessions CASCADE');
      }),
    );
    expect(message).toMatch(/no MAS users or compat_sessions table/);
  });

  it('refuses an empty _sqlx_migrations', async () => {
    const message = refusal(await inspect('1.22', async (db) => void (await db('_sqlx_migrations').delete())));
    expect(message).toMatch(/empty _sqlx_migrations.*mas-cli database migrate/);
  });

  it('refuses a database whose last migration failed (sqlx left it dirty)', async () => {
    const message = refusal(
      await inspect('1.22', async (db) => void (await db('_sqlx_migrations').update({ success: false }).where({ version: 20260720134722 }))),
    );
    expect(message).toMatch(/migration 20260720134722 \(idx oauth2 authorization grants user session id\) did not finish/);
  });

  it('refuses MAS older than 0.13 (no job queue yet), naming the release', async () => {
    const message = refusal(
      await inspect('0.13', async (db) => {
        await db('_sqlx_migrations').delete().where('version', '>=', 20241004121132);
        await db.raw('DROP TABLE queue_jobs');
        await db.raw('DROP TYPE queue_job_status');
      }),
    );
    expect(message).toMatch(/schema of a MAS older than 0\.13\.0 \(newest migration 20241004075132\).*Upgrade MAS and start it once/);
  });

  it('refuses a database where MAS has not finished migrating', async () => {
    const message = refusal(await inspect('1.22', async (db) => void (await db('_sqlx_migrations').delete().where({ version: 20250311093145 }))));
    expect(message).toMatch(/not 20250311093145 \(users\.deactivated_at, MAS 0\.15\.0\): MAS has not finished migrating/);
  });

  it('does not mistake migrations that later releases back-dated for pending ones', async () => {
    // MAS 0.13.0 lacks 20250114135939, which 0.14.0 added with an older name.
    const { schema, error } = await inspect('0.13');
    expect(error).toBeUndefined();
    expect(schema!.newestMigration).toBeGreaterThan(BACKDATED_MIGRATIONS[0]!);
    const known = new Set(RECORDED.migrations.map((m) => m.version));
    for (const m of MAS_SCHEMA_MILESTONES) {
      expect({ milestone: m.version, known: known.has(m.version), backdated: BACKDATED_MIGRATIONS.includes(m.version) }).toEqual({
        milestone: m.version,
        known: true,
        backdated: false,
      });
    }
  });

  it('warns about a MAS newer than it knows, and goes on when every column it uses is there', async () => {
    const { schema } = await inspect('1.22', async (db) => {
      await db('_sqlx_migrations').insert({ version: 20990101000000, description: 'future', success: true, checksum: Buffer.alloc(48), execution_time: 1 });
    });
    expect(schema!.newestMigration).toBe(20990101000000);
    expect(schema!.warnings).toEqual([expect.stringMatching(/20990101000000, newer than the newest this tool knows \(20260720134722, MAS 1\.22\.0\)/)]);
  });

  it('refuses a newer MAS that dropped a column it uses', async () => {
    const message = refusal(
      await inspect('1.22', async (db) => {
        await db('_sqlx_migrations').insert({ version: 20990101000000, description: 'future', success: true, checksum: Buffer.alloc(48), execution_time: 1 });
        await db.raw('ALTER TABLE users DROP COLUMN can_request_admin');
        await db.raw('ALTER TABLE queue_workers RENAME COLUMN last_seen_at TO seen_at');
      }),
    );
    expect(message).toMatch(/lacks users\.can_request_admin, queue_workers\.last_seen_at.*Upgrade synapse-admin-bootstrap/);
  });

  it('knows the releases the recording knows', () => {
    expect(NEWEST_KNOWN_MAS_MIGRATION).toBe(RECORDED.shapes['1.22']!.newestMigration);
    expect(OLDEST_SUPPORTED_MAS_MIGRATION).toBe(RECORDED.shapes['0.13']!.newestMigration);
  });
});
