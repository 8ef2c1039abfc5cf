// The connection module's promises: one transaction that cannot half-happen, read-only reads,
// and libpq's passfile.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { inSessionTransaction, inTransaction, withDatabase } from '../../src/database/connection.js';
import { freshDatabase, type FreshDatabase } from '../helpers/databases.js';
import { tempDir } from '../helpers/temp-tree.js';

const ALICE = { name: '@alice:example.test', creation_ts: 1, admin: 0, is_guest: 0 };

describe('PostgreSQL connections', () => {
  let fresh: FreshDatabase | undefined;
  afterEach(async () => {
    await fresh?.cleanup();
    fresh = undefined;
  });

  it('a connection lost halfway leaves nothing behind and fails the command', async () => {
    fresh = await freshDatabase('postgres');
    const observer = fresh.knex;
    const attempt = withDatabase(fresh.settings, 'write', (db) =>
      inTransaction(db, false, async (trx) => {
        await trx('users').insert(ALICE);
        const { rows } = await trx.raw('SELECT pg_backend_pid() AS pid');
        await observer.raw('SELECT pg_terminate_backend(?)', [rows[0].pid]);
        await trx('profiles').insert({ user_id: 'alice', full_user_id: ALICE.name, displayname: 'alice' });
      }),
    );
    await expect(attempt).rejects.toThrow();
    expect(await observer('users').select()).toEqual([]);
    expect(await observer('profiles').select()).toEqual([]);
  });

  it('a dry run writes nothing', async () => {
    fresh = await freshDatabase('postgres');
    await withDatabase(fresh.settings, 'write', (db) => inTransaction(db, true, (trx) => trx('users').insert(ALICE)));
    expect(await fresh.knex('users').select()).toEqual([]);
  });

  it('a read-only session cannot write', async () => {
    fresh = await freshDatabase('postgres');
    const attempt = withDatabase(fresh.settings, 'read', (db) => db('users').insert(ALICE));
    await expect(attempt).rejects.toThrow(/read-only/);
    expect(await fresh.knex('users').select()).toEqual([]);
  });

  it('sets the time limits and the read-only guard in the transaction, where a pooler keeps them, not in the session', async () => {
    fresh = await freshDatabase('postgres');
    const settingsSql =
      "SELECT current_setting('lock_timeout') AS lock, current_setting('statement_timeout') AS statement, " +
      "current_setting('transaction_read_only') AS read_only, current_setting('default_transaction_read_only') AS session_read_only";
    const settingsOf = async (handle: Knex) => (await handle.raw(settingsSql)).rows[0];
    const write = await withDatabase(fresh.settings, 'write', async (db) => ({
      session: await settingsOf(db),
      transaction: await inTransaction(db, true, settingsOf),
    }));
    expect(write.session).toEqual({ lock: '0', statement: '0', read_only: 'off', session_read_only: 'off' });
    expect(write.transaction).toEqual({ lock: '10s', statement: '1min', read_only: 'off', session_read_only: 'off' });
    const read = await withDatabase(fresh.settings, 'read', settingsOf);
    expect(read).toEqual({ lock: '10s', statement: '1min', read_only: 'on', session_read_only: 'off' });
  });

  it('a write session that only looks reads in a transaction that cannot write', async () => {
    fresh = await freshDatabase('postgres');
    const attempt = withDatabase(fresh.settings, 'write', (db) =>
      inSessionTransaction(db, { transaction: false, dryRun: false, env: {} }, (trx) => trx('users').insert(ALICE)),
    );
    await expect(attempt).rejects.toThrow(/read-only/);
    expect(await fresh.knex('users').select()).toEqual([]);
  });

  it("takes the password from libpq's passfile when the config gives none", async () => {
    fresh = await freshDatabase('postgres');
    if (fresh.settings.engine !== 'postgres') throw new Error('expected postgres');
    const { password, ...rest } = fresh.settings.connection;
    const passfile = join(tempDir('sab-pgpass-'), 'pgpass');
    writeFileSync(passfile, `# a comment\nother:1:*:*:wrong\n${rest.host}:${rest.port}:*:${rest.user}:${password}\n`, { mode: 0o600 });
    const settings = { engine: 'postgres' as const, connection: { ...rest, passfile } };
    const rows = await withDatabase(settings, 'read', async (db) => (await db.raw('SELECT 1 AS one')).rows);
    expect(rows).toEqual([{ one: 1 }]);
  });
});
