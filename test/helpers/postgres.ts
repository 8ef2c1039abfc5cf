// Administration of the test PostgreSQL server, shared by the global setup and the helpers.
import pg from 'pg';
import { markServerUsed } from './open-databases.js';
import type { MasVariant } from '../../migrations/mas/index.js';
import type { SchemaVariant } from '../../migrations/synapse/index.js';

/** What test/setup/postgres.ts hands to the tests through vitest's provide/inject. */
export interface TestPostgres {
  /** A superuser (or CREATEDB) connection URL to the maintenance database. */
  adminUrl: string;
  /** Every database this run creates starts with this, so teardown can find leftovers. */
  databasePrefix: string;
  templates: Record<SchemaVariant, string>;
  /** MAS's slice, one template per MAS release we build. */
  masTemplates: Record<MasVariant, string>;
  /** Where the server's unix socket lives, when known. */
  socketDir?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    sabPostgres: TestPostgres;
  }
}

/**
 * Synapse refuses a database that is not UTF8 with C collation and ctype
 * (synapse/storage/engines/postgres.py); a copy of a template inherits the template's.
 */
export function createDatabaseSql(name: string, template = 'template0'): string {
  const ident = pg.escapeIdentifier;
  return template === 'template0'
    ? `CREATE DATABASE ${ident(name)} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`
    : `CREATE DATABASE ${ident(name)} TEMPLATE ${ident(template)}`;
}

export function dropDatabaseSql(name: string): string {
  return `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`;
}

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export async function withAdmin<T>(adminUrl: string, action: (client: pg.Client) => Promise<T>): Promise<T> {
  markServerUsed();
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await action(client);
  } finally {
    await client.end();
  }
}
