// Which database to open: an SQLite file or a PostgreSQL server reached by libpq's rules, and the
// one way messages name it.
import { DEFAULT_PG_PORT, type PostgresConnection } from '../libpq/settings.js';

export type DatabaseSettings =
  | { engine: 'sqlite'; path: string }
  | { engine: 'postgres'; connection: PostgresConnection };

/** For messages: engine and where, never the password. */
export function describeDatabase(settings: DatabaseSettings): string {
  switch (settings.engine) {
    case 'sqlite':
      return `sqlite ${settings.path}`;
    case 'postgres': {
      const { user, host, port, database, options } = settings.connection;
      const socket = host?.startsWith('/');
      const hostPart = host?.includes(':') && !socket ? `[${host}]` : (host ?? '');
      const extra = [socket ? 'unix socket' : undefined, options ? `options "${options}"` : undefined].filter(Boolean);
      return `postgres ${user ?? ''}@${hostPart}:${port ?? DEFAULT_PG_PORT}/${database ?? ''}${extra.length ? ` (${extra.join(', ')})` : ''}`;
    }
    default:
      return settings satisfies never;
  }
}
