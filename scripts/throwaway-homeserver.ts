// A throwaway, Synapse-shaped SQLite homeserver built by our migrations: for the demo and the
// CI checks of an installed command. Not a real Synapse: the end-to-end suite runs one.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import knexFactory from 'knex';
import { migrateTo } from '../migrations/synapse/index.js';

export interface Homeserver {
  configPath: string;
  dbPath: string;
}

/** Writes `homeserver.yaml` and `homeserver.db` (schema 94) into `dir`. */
export async function makeHomeserver(dir: string, serverName: string): Promise<Homeserver> {
  const dbPath = join(dir, 'homeserver.db');
  const configPath = join(dir, 'homeserver.yaml');
  const db = knexFactory({ client: 'better-sqlite3', connection: { filename: dbPath }, useNullAsDefault: true });
  try {
    await migrateTo(db, 94);
  } finally {
    await db.destroy();
  }
  writeFileSync(
    configPath,
    [
      `server_name: ${serverName}`,
      'database:',
      '  name: sqlite3',
      '  args:',
      `    database: ${dbPath}`,
      'report_stats: false',
      'bcrypt_rounds: 4  # fast for a throwaway server; Synapse defaults to 12',
      `pid_file: ${join(dir, 'homeserver.pid')}`,
      '',
    ].join('\n'),
  );
  return { configPath, dbPath };
}
