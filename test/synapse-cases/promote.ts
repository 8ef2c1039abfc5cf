// The Synapse command table's `promote` cases (test/helpers/synapse-table.ts runs them on both
// dialects): making a user a server admin, and the refusals every user argument can meet.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { writeHomeserverYaml } from '../helpers/databases.js';
import { startFakeSynapse } from '../helpers/fake-synapse.js';
import { seedUser } from '../helpers/seed.js';
import { HS, userRow } from './helpers.js';
import type { SynapseCase, SynapseTest } from './types.js';

export const cases: SynapseCase[] = [
  {
    name: 'promote of a user that does not exist names the register command to run',
    args: ['promote', 'nobody'],
    code: 5,
    message: /@nobody:example\.test does not exist\. Check the spelling, or create it with `register @nobody:example\.test`\./,
  },
  {
    name: 'promote makes an existing user admin',
    seed: (db) => seedUser(db, { name: '@alice:example.test' }),
    args: ['promote', 'alice'],
    code: 0,
    check: async ({ db }, run) => {
      expect(Number((await userRow(db, '@alice:example.test')).admin)).toBe(1);
      expect(run.json()).toMatchObject({ ok: true, user_id: '@alice:example.test', changed: true });
    },
  },
  {
    name: 'promote of an admin changes nothing and succeeds',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true }),
    args: ['promote', '@alice:example.test'],
    code: 0,
    unchanged: true,
    check: async (_env, run) => expect(run.json()).toMatchObject({ ok: true, changed: false }),
  },
  {
    name: 'promote finds a user case-insensitively',
    seed: (db) => seedUser(db, { name: '@Alice:example.test' }),
    args: ['promote', 'alice'],
    code: 0,
    check: async ({ db }, run) => {
      expect(run.json().user_id).toBe('@Alice:example.test');
      expect(Number((await userRow(db, '@Alice:example.test')).admin)).toBe(1);
    },
  },
  {
    name: 'promote --dry-run writes nothing',
    seed: (db) => seedUser(db, { name: '@alice:example.test' }),
    args: ['--dry-run', 'promote', 'alice'],
    code: 0,
    check: async (_env, run) => expect(run.json()).toMatchObject({ changed: true, dry_run: true, changes: ['@alice:example.test: admin 0 -> 1'] }),
  },
  {
    name: 'promote of a user of another server',
    args: ['promote', '@alice:elsewhere.test'],
    code: 2,
    message: /elsewhere\.test/,
  },
  // The reactivation advice names the user, never a literal <user>, on every path that gives it.
  {
    name: 'promote of a deactivated user names it in the reactivation advice',
    seed: (db) => seedUser(db, { name: '@gone:example.test', deactivated: true, passwordHash: null }),
    args: ['promote', 'gone'],
    code: 7,
    message: /Bring it back with `set-password @gone:example\.test --reactivate`/,
  },
  {
    name: 'promote of a guest',
    seed: (db) => seedUser(db, { name: '@123:example.test', isGuest: true }),
    args: ['promote', '123'],
    code: 7,
    message: /guest/,
  },
  {
    name: 'promote of an app-service user',
    seed: (db) => seedUser(db, { name: '@irc_bob:example.test', appserviceId: 'irc' }),
    args: ['promote', 'irc_bob'],
    code: 7,
    message: /application service "irc"/,
  },
  {
    name: 'promote --dry-run=True writes nothing',
    seed: (db) => seedUser(db, { name: '@alice:example.test' }),
    args: ['--dry-run=True', 'promote', 'alice'],
    code: 0,
    check: async (_env, run) => expect(run.json()).toMatchObject({ changed: true, dry_run: true }),
  },
  {
    name: 'a trailing space after the user ID is called whitespace',
    seed: (db) => seedUser(db, { name: '@alice:example.test' }),
    args: ['promote', '@alice:example.test '],
    code: 2,
    message: /ends with whitespace \(U\+0020\)/,
  },
];

/** Tests beside the table that need more than one run or database. */
export const tests: SynapseTest[] = [
  {
    name: 'says a running Synapse must restart to see a promote',
    async run(env) {
      await writeHomeserverYaml(env.dir, { serverName: HS, database: env.settings, extra: { bcrypt_rounds: 4 } });
      await seedUser(env.db, { name: '@alice:example.test' });
      // A live process that runs `-m synapse.app.homeserver`, named by pid_file.
      const synapse = await startFakeSynapse();
      try {
        writeFileSync(join(env.dir, 'homeserver.pid'), `${synapse.pid}\n`);
        const run = await env.run(['promote', 'alice']);
        expect(run.json()).toMatchObject({ ok: true, changed: true, synapse_running: true, restart_needed: true });
        expect(run.stderr).toMatch(/Synapse looks like it is running .*caches who is an admin.*Restart Synapse/);
        const again = await env.run(['promote', 'alice']);
        expect(again.json()).toMatchObject({ changed: false, restart_needed: false });
        expect(again.stderr).not.toMatch(/Restart Synapse/);
      } finally {
        await synapse.stop();
      }
    },
  },
];
