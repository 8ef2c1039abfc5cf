// The Synapse command table's cases of what every command meets before it runs (test/helpers/
// synapse-table.ts runs them on both dialects): the config's MAS section, a database that is not
// Synapse's or of another server_name, a schema out of range.
import { expect } from 'vitest';
import { seedUser } from '../helpers/seed.js';
import type { SynapseCase } from './types.js';

export const cases: SynapseCase[] = [
  {
    // promote works on MAS's database there (test/mas-cases/admin.ts); without MAS's config it cannot.
    name: 'with matrix-authentication-service handling logins and no MAS config, promote says where to point it',
    seed: (db) => seedUser(db, { name: '@alice:example.test' }),
    extraConfig: { matrix_authentication_service: { enabled: true, endpoint: 'http://localhost:8080', secret: 'x' } },
    args: ['promote', 'alice'],
    code: 3,
    message: /no MAS config was found.*--mas-config PATH/,
  },
  {
    name: 'a database that is not Synapse',
    seed: async (db) => {
      await db.schema.dropTable('schema_version');
    },
    args: ['promote', 'alice'],
    code: 4,
    message: /not a Synapse database/,
  },
  {
    name: 'a schema older than supported',
    seed: async (db) => {
      await db('schema_version').update({ version: 60 });
    },
    args: ['promote', 'alice'],
    code: 4,
    message: /schema version 60/,
  },
  ...['register bob --admin --password-stdin', 'promote alice', 'list-admins', 'check', 'issue-token alice', 'set-password alice --logout --password-stdin'].map(
    (command): SynapseCase => ({
      name: `a database of another server_name is refused before anything is written: ${command.split(' ')[0]}`,
      seed: (db) => seedUser(db, { name: '@alice:other.test', admin: true }),
      args: command.split(' '),
      input: 'whatever-pass',
      code: 3,
      message: /sets server_name "example\.test", but the users in .* belong to "other\.test" \(e\.g\. @alice:other\.test\)/,
      unchanged: true,
      check: async ({ config }, run) => expect(run.json().error.message).toContain(config),
    }),
  ),
  {
    name: 'an empty database is fine for any server_name, as for Synapse',
    args: ['list-admins'],
    code: 0,
  },
];
