import knex, { type Knex } from 'knex';
import type { PgServer } from './postgres.js';

export function openSqlite(file: string): Knex {
  return knex({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
}

/** `options` as libpq takes them, e.g. "-c search_path=matrix". */
export function openPg(server: PgServer, database: string, options?: string): Knex {
  return knex({
    client: 'pg',
    connection: { host: '127.0.0.1', port: server.port, user: server.user, password: server.password, database, options },
    pool: { min: 0, max: 2 },
  });
}

export async function withKnex<T>(db: Knex, body: (db: Knex) => Promise<T>): Promise<T> {
  try {
    return await body(db);
  } finally {
    await db.destroy();
  }
}
