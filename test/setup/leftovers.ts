// vitest setupFiles: a test file that leaves a database behind fails. Every database the helpers
// make (test/helpers/databases.ts) must be cleaned up by the test or hook that made it, and no
// PostgreSQL database with this worker's prefix may outlive the file: a forgotten one would
// otherwise pile up unseen until the run's teardown drops it, costing every later case.
// It loads nothing heavy: most test files never open a database.
import { afterAll, expect, inject } from 'vitest';
import { endOfFile, openDatabases, wasServerUsed, workerDatabasePrefix } from '../helpers/open-databases.js';

/** What this worker made and has not dropped: open databases, then PostgreSQL's own list. */
export async function leftovers(): Promise<string[]> {
  const server = inject('sabPostgres');
  let onServer: string[] = [];
  if (server && wasServerUsed()) {
    const { withAdmin } = await import('../helpers/postgres.js');
    onServer = await withAdmin(server.adminUrl, async (client) => {
      const { rows } = await client.query<{ datname: string }>(
        'SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname',
        [workerDatabasePrefix(server)],
      );
      return rows.map((r) => r.datname);
    });
  }
  return [...new Set([...openDatabases(), ...onServer])];
}

// Registered before the file's own hooks, so it runs after them (vitest runs after-hooks as a stack).
afterAll(async () => {
  await endOfFile();
  expect(await leftovers(), 'databases this test file made and did not clean up').toEqual([]);
});
