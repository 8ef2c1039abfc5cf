// A server whose logins belong to matrix-authentication-service, as deployments have it: one
// PostgreSQL server holding Synapse's database (schema 94) and MAS's (a chosen MAS release), a
// homeserver.yaml that enables matrix_authentication_service, and MAS's config.yaml.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { stringify } from 'yaml';
import { CURRENT_MAS_VARIANT, MAS_TABLES, type MasVariant } from '../../migrations/mas/index.js';
import type { DatabaseSettings } from '../../src/database/settings.js';
import { newMasId, ulidOf } from '../../src/mas/ids.js';
import { newCompatAccessToken, newCompatDeviceId } from '../../src/mas/tokens.js';
import { freshDatabase, freshMasDatabase, writeHomeserverYaml, type FreshDatabase } from './databases.js';
import { cli, FIXED_NOW, type CliOptions, type CliRun } from './run-cli.js';
import { snapshot as synapseSnapshot } from './seed.js';

export { seedUser } from './seed.js';

export const MAS_HS = 'example.test';

/** A `passwords.schemes` entry as MAS's config.yaml spells it. */
export interface MasSchemeYaml {
  version: number;
  algorithm?: 'argon2id' | 'bcrypt' | 'pbkdf2';
  unicode_normalization?: boolean;
  cost?: number;
  secret?: string;
  secret_file?: string;
}

export interface MasWorldOptions {
  /** The MAS release whose schema MAS's database has (default: the newest we know). */
  variant?: MasVariant;
  /** MAS's `passwords:` section; default: enabled, one argon2id scheme, version 1. */
  passwords?: { enabled?: boolean; minimum_complexity?: number; schemes?: MasSchemeYaml[] };
  /** policy.data.admin_users; the `policy` section is left out when absent. */
  adminUsers?: string[];
  /** More top-level keys for MAS's config.yaml; they replace the ones written here. */
  masConfigExtra?: Record<string, unknown>;
  /** More top-level keys for homeserver.yaml. */
  homeserverExtra?: Record<string, unknown>;
}

export interface MasWorld {
  /** A temporary directory holding both config files; removed by cleanup(). */
  dir: string;
  homeserverYaml: string;
  masConfigYaml: string;
  /** For arranging and checking rows; the CLI opens its own connections. */
  synapse: Knex;
  mas: Knex;
  synapseSettings: DatabaseSettings;
  masSettings: DatabaseSettings;
  /** postgresql:// URL of MAS's database, as MAS's `database.uri` holds it. */
  masDatabaseUrl: string;
  /** The shared secret of homeserver.yaml's matrix_authentication_service and MAS's `matrix:`. */
  sharedSecret: string;
  variant: MasVariant;
  /** The CLI with `-c <homeserver.yaml> --mas-config <config.yaml>` before `args`, run in `dir`. */
  run(args: string[], input?: string, opts?: CliOptions): Promise<CliRun>;
  /** Every row the tool could touch, in both databases, in a stable order. */
  snapshot(): Promise<{ synapse: Record<string, unknown[]>; mas: Record<string, unknown[]> }>;
  cleanup(): Promise<void>;
}

function postgresUrl(settings: DatabaseSettings): string {
  if (settings.engine !== 'postgres') throw new Error('MAS runs on PostgreSQL only');
  const { host, port, user, password, database } = settings.connection;
  const url = new URL('postgresql://');
  url.hostname = String(host);
  url.port = String(port);
  url.username = encodeURIComponent(String(user));
  url.password = encodeURIComponent(String(password));
  url.pathname = `/${encodeURIComponent(String(database))}`;
  return url.toString();
}

export async function masWorld(opts: MasWorldOptions = {}): Promise<MasWorld> {
  const variant = opts.variant ?? CURRENT_MAS_VARIANT;
  const opened: FreshDatabase[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'sab-mas-'));
  const cleanup = async () => {
    for (const db of opened) await db.cleanup();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const synapse = await freshDatabase('postgres');
    opened.push(synapse);
    const mas = await freshMasDatabase(variant);
    opened.push(mas);

    const sharedSecret = randomBytes(24).toString('hex');
    const homeserverYaml = await writeHomeserverYaml(dir, {
      serverName: MAS_HS,
      database: synapse.settings,
      extra: {
        matrix_authentication_service: { enabled: true, endpoint: 'http://127.0.0.1:1/', secret: sharedSecret },
        ...opts.homeserverExtra,
      },
    });
    const masDatabaseUrl = postgresUrl(mas.settings);
    const masConfig = {
      http: { public_base: 'http://127.0.0.1:1/' },
      database: { uri: masDatabaseUrl },
      matrix: { homeserver: MAS_HS, endpoint: 'http://127.0.0.1:1/', secret: sharedSecret },
      passwords: {
        enabled: opts.passwords?.enabled ?? true,
        minimum_complexity: opts.passwords?.minimum_complexity ?? 3,
        schemes: opts.passwords?.schemes ?? [{ version: 1, algorithm: 'argon2id' }],
      },
      ...(opts.adminUsers ? { policy: { data: { admin_users: opts.adminUsers } } } : {}),
      ...opts.masConfigExtra,
    };
    const masConfigYaml = join(dir, 'config.yaml');
    await writeFile(masConfigYaml, stringify(masConfig));

    return {
      dir,
      homeserverYaml,
      masConfigYaml,
      synapse: synapse.knex,
      mas: mas.knex,
      synapseSettings: synapse.settings,
      masSettings: mas.settings,
      masDatabaseUrl,
      sharedSecret,
      variant,
      run: (args, input, cliOpts) =>
        cli(['-c', homeserverYaml, '--mas-config', masConfigYaml, ...args], { cwd: dir, ...cliOpts, input }),
      snapshot: async () => ({ synapse: await synapseSnapshot(synapse.knex), mas: await masSnapshot(mas.knex) }),
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Every row of MAS's slice (the tables this variant has), each table's rows sorted. */
export async function masSnapshot(db: Knex): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  const present = new Set(
    (await db.raw<{ rows: { tablename: string }[] }>('SELECT tablename FROM pg_tables WHERE schemaname = current_schema()')).rows.map(
      (r) => r.tablename,
    ),
  );
  for (const table of MAS_TABLES) {
    if (!present.has(table)) continue;
    const rows: unknown[] = await db(table).select('*');
    out[table] = rows.map((r) => JSON.stringify(r)).sort();
  }
  return out;
}

const at = (ms: number | undefined, fallback: number) => new Date(ms ?? fallback);

/** A day before the CLI's fixed clock: seeded rows are older than anything the tool writes. */
const SEEDED_AT = FIXED_NOW - 86_400_000;

export interface SeedMasUser {
  username: string;
  canRequestAdmin?: boolean;
  /** ms since the epoch, as are the other times here. */
  lockedAt?: number;
  deactivatedAt?: number;
  isGuest?: boolean;
  /** A hash stored in user_passwords (none when absent). */
  passwordHash?: string;
  /** That password row's scheme version (default 1). */
  version?: number;
  createdAt?: number;
}

export interface SeededMasUser {
  /** users.user_id, the uuid form. */
  id: string;
  /** The same 128 bits as a ULID: what MAS puts in job payloads and OIDC `sub`. */
  ulid: string;
}

/** A user as MAS's registration leaves it; asking for a column this variant lacks throws. */
export async function seedMasUser(db: Knex, u: SeedMasUser): Promise<SeededMasUser> {
  const createdAt = u.createdAt ?? SEEDED_AT;
  const id = newMasId(createdAt);
  const row: Record<string, unknown> = {
    user_id: id,
    username: u.username,
    created_at: new Date(createdAt),
    locked_at: u.lockedAt === undefined ? null : new Date(u.lockedAt),
    can_request_admin: u.canRequestAdmin ?? false,
  };
  const columns = await db.table('users').columnInfo();
  const optional: [string, unknown][] = [
    ['deactivated_at', u.deactivatedAt === undefined ? undefined : new Date(u.deactivatedAt)],
    ['is_guest', u.isGuest],
  ];
  for (const [column, value] of optional) {
    if (value === undefined) continue;
    if (!(column in columns)) throw new Error(`seedMasUser: this MAS schema has no users.${column}`);
    row[column] = value;
  }
  await db('users').insert(row);
  if (u.passwordHash !== undefined) {
    await db('user_passwords').insert({
      user_password_id: newMasId(createdAt),
      user_id: id,
      hashed_password: u.passwordHash,
      created_at: new Date(createdAt),
      version: u.version ?? 1,
    });
  }
  return { id, ulid: ulidOf(id) };
}

export interface SeedCompatSession {
  userId: string;
  /** Default: a generated one; null for a deviceless session (MAS 0.14+). */
  deviceId?: string | null;
  isSynapseAdmin?: boolean;
  finishedAt?: number;
  createdAt?: number;
  /** Default: a new mct_ token; null for none. */
  token?: string | null;
  tokenExpiresAt?: number;
  /** A browser session it came from (user_sessions). */
  userSessionId?: string;
}

export async function seedCompatSession(
  db: Knex,
  s: SeedCompatSession,
): Promise<{ sessionId: string; deviceId: string | null; token: string | null }> {
  const createdAt = s.createdAt ?? SEEDED_AT;
  const sessionId = newMasId(createdAt);
  const deviceId = s.deviceId === undefined ? newCompatDeviceId() : s.deviceId;
  await db('compat_sessions').insert({
    compat_session_id: sessionId,
    user_id: s.userId,
    device_id: deviceId,
    created_at: new Date(createdAt),
    finished_at: s.finishedAt === undefined ? null : new Date(s.finishedAt),
    is_synapse_admin: s.isSynapseAdmin ?? false,
    user_session_id: s.userSessionId ?? null,
  });
  const token = s.token === undefined ? newCompatAccessToken() : s.token;
  if (token !== null) {
    await db('compat_access_tokens').insert({
      compat_access_token_id: newMasId(createdAt),
      compat_session_id: sessionId,
      access_token: token,
      created_at: new Date(createdAt),
      expires_at: s.tokenExpiresAt === undefined ? null : new Date(s.tokenExpiresAt),
    });
  }
  return { sessionId, deviceId, token };
}

export interface SeedOAuthSession {
  userId: string;
  /** Default: the scopes an admin client asks for, `urn:synapse:admin:*` included. */
  scopes?: string[];
  finishedAt?: number;
  createdAt?: number;
  userSessionId?: string;
}

export const ADMIN_CLIENT_SCOPES = ['openid', 'urn:matrix:client:api:*', 'urn:synapse:admin:*', 'urn:mas:admin'];

/** An OAuth 2 session; its client (oauth2_clients) is outside the slice, so any id will do. */
export async function seedOAuthSession(db: Knex, s: SeedOAuthSession): Promise<string> {
  const createdAt = s.createdAt ?? SEEDED_AT;
  const id = newMasId(createdAt);
  await db('oauth2_sessions').insert({
    oauth2_session_id: id,
    user_id: s.userId,
    user_session_id: s.userSessionId ?? null,
    oauth2_client_id: newMasId(createdAt),
    scope_list: s.scopes ?? ADMIN_CLIENT_SCOPES,
    created_at: new Date(createdAt),
    finished_at: s.finishedAt === undefined ? null : new Date(s.finishedAt),
  });
  return id;
}

/** A browser session (user_sessions). */
export async function seedBrowserSession(db: Knex, s: { userId: string; finishedAt?: number; createdAt?: number }): Promise<string> {
  const createdAt = s.createdAt ?? SEEDED_AT;
  const id = newMasId(createdAt);
  await db('user_sessions').insert({
    user_session_id: id,
    user_id: s.userId,
    created_at: new Date(createdAt),
    finished_at: s.finishedAt === undefined ? null : new Date(s.finishedAt),
  });
  return id;
}

/** A MAS worker's heartbeat row; by default seen a few seconds before the CLI's fixed clock. */
export async function seedWorker(db: Knex, w: { lastSeenAt?: number; shutdownAt?: number; registeredAt?: number } = {}): Promise<string> {
  const lastSeenAt = at(w.lastSeenAt, FIXED_NOW - 5_000);
  const registeredAt = at(w.registeredAt, SEEDED_AT);
  const id = newMasId(registeredAt.getTime());
  await db('queue_workers').insert({
    queue_worker_id: id,
    registered_at: registeredAt,
    last_seen_at: lastSeenAt,
    shutdown_at: w.shutdownAt === undefined ? null : new Date(w.shutdownAt),
  });
  return id;
}

/** The jobs waiting in MAS's queue, oldest first, as the tests compare them. */
export async function queuedJobs(db: Knex): Promise<{ queue_name: string; payload: Record<string, unknown>; status: string }[]> {
  return db('queue_jobs').select('queue_name', 'payload', 'status').orderBy('queue_job_id');
}
