// The guard of test/setup/leftovers.ts: what it would report at the end of a file that forgot a
// database, made through the helpers or straight on the server.
import { describe, expect, inject, it } from 'vitest';
import { leftovers } from './leftovers.js';
import { freshDatabase, freshMasDatabase, workerDatabasePrefix } from '../helpers/databases.js';
import { createDatabaseSql, dropDatabaseSql, withAdmin } from '../helpers/postgres.js';

describe('the leftover-database guard', () => {
  it('names each database a case made and has not cleaned up, and none once they are', async () => {
    expect(await leftovers()).toEqual([]);
    const sqlite = await freshDatabase('sqlite');
    const postgres = await freshDatabase('postgres');
    const mas = await freshMasDatabase('1.22');
    try {
      const names = [sqlite, postgres, mas].map((db) =>
        db.settings.engine === 'sqlite' ? db.settings.path : db.settings.connection.database,
      );
      expect((await leftovers()).sort()).toEqual(names.sort());
    } finally {
      await sqlite.cleanup();
      await postgres.cleanup();
      await mas.cleanup();
    }
    expect(await leftovers()).toEqual([]);
  });

  it('finds a database made on the server without the helpers, by this worker\'s prefix', async () => {
    const server = inject('sabPostgres');
    const name = `${workerDatabasePrefix(server)}made_by_hand`;
    await withAdmin(server.adminUrl, (client) => client.query(createDatabaseSql(name)));
    try {
      expect(await leftovers()).toEqual([name]);
    } finally {
      await withAdmin(server.adminUrl, (client) => client.query(dropDatabaseSql(name)));
    }
    expect(await leftovers()).toEqual([]);
  });
});
