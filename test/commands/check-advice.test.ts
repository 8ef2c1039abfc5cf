// `check` with no usable admin: the advice names the admins it found and the command that brings
// each back; only with no admin at all does it advise making one. Both engines.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase, writeHomeserverYaml, type FreshDatabase } from '../helpers/databases.js';
import { cli } from '../helpers/run-cli.js';
import { seedUser, type SeedUser } from '../helpers/seed.js';

const HS = 'example.test';

describe.each(DIALECTS)('check advice on %s', (dialect) => {
  let fresh: FreshDatabase;
  let dir: string;

  beforeEach(async () => {
    fresh = await freshDatabase(dialect);
    dir = mkdtempSync(join(tmpdir(), 'sab-check-'));
    // No listeners and no pid file: nothing on this machine is taken for this Synapse.
    await writeHomeserverYaml(dir, { serverName: HS, database: fresh.settings, extra: { listeners: [], pid_file: null } });
  });
  afterEach(async () => {
    await fresh.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  async function check(users: SeedUser[], json = true) {
    for (const u of users) await seedUser(fresh.knex, u);
    return cli(['-c', join(dir, 'homeserver.yaml'), ...(json ? ['--json'] : []), 'check'], { cwd: dir });
  }

  it('a locked admin: unlock it', async () => {
    const run = await check([{ name: '@alice:example.test', admin: true, locked: true }, { name: '@bob:example.test' }]);
    expect(run.code).toBe(5);
    const { error, ...report } = run.json();
    expect(error).toMatchObject({ kind: 'no_admin', code: 5 });
    expect(error.message).toBe('No usable server admin (active and not locked). @alice:example.test is locked: run `unlock @alice:example.test`.');
    expect(report).toMatchObject({ ok: false, users: 2, admins: 1, usable_admins: 0, synapse_running: false });
  });

  it('a deactivated admin: reactivate it', async () => {
    const run = await check([{ name: '@alice:example.test', admin: true, deactivated: true }]);
    expect(run.json().error.message).toBe(
      'No usable server admin (active and not locked). @alice:example.test is deactivated: run `set-password @alice:example.test --reactivate`.',
    );
  });

  it('several admins, each with its own fix, on stderr too', async () => {
    const run = await check(
      [
        { name: '@carol:example.test', admin: true, deactivated: true, locked: true },
        { name: '@alice:example.test', admin: true, locked: true, suspended: true },
        { name: '@bob:example.test', admin: true, deactivated: true },
      ],
      false,
    );
    expect(run.code).toBe(5);
    expect(run.stderr).toContain(
      'error: No usable server admin (active and not locked). ' +
        '@alice:example.test is locked: run `unlock @alice:example.test`. ' +
        '@bob:example.test is deactivated: run `set-password @bob:example.test --reactivate`. ' +
        '@carol:example.test is deactivated and locked: run `set-password @carol:example.test --reactivate`, then `unlock @carol:example.test`.',
    );
    expect(run.stderr).not.toMatch(/promote/);
  });

  it('no admin at all: make one', async () => {
    const run = await check([{ name: '@alice:example.test' }]);
    expect(run.json().error.message).toBe(
      'No usable server admin (active and not locked). Make one with `promote <user>` or `register <user> --admin`.',
    );
  });

  it('a suspended admin can still act: no problem', async () => {
    const run = await check([{ name: '@alice:example.test', admin: true, suspended: true }]);
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ ok: true, admins: 1, usable_admins: 1 });
  });
});
