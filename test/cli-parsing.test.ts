// Argument parsing: argv in, options out (no config, no database), then what the CLI does with
// arguments it cannot use.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase } from './helpers/databases.js';
import { seedUser } from './helpers/seed.js';
import { cli, parse } from './helpers/run-cli.js';
import { UsageError } from '../src/errors.js';
import { tempDir } from './helpers/temp-tree.js';

function configDir(): string {
  const dir = tempDir('sab-parse-');
  writeFileSync(join(dir, 'homeserver.yaml'), 'server_name: example.test\nreport_stats: false\ndatabase:\n  name: sqlite3\n  args:\n    database: missing.db\n');
  return dir;
}

/** A config whose database holds @alice:example.test, for cases that get past the user lookup. */
async function withAlice(): Promise<string> {
  const dir = configDir();
  const db = await freshDatabase('sqlite');
  cleanups.push(db.cleanup);
  await seedUser(db.knex, { name: '@alice:example.test' });
  if (db.settings.engine !== 'sqlite') throw new Error('expected sqlite');
  writeFileSync(join(dir, 'homeserver.yaml'), `server_name: example.test\nreport_stats: false\ndatabase:\n  name: sqlite3\n  args:\n    database: ${db.settings.path}\n`);
  return dir;
}

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe('argv in, options out', () => {
  it('takes the command right after -c FILE (a repeatable option must not swallow it), and keeps repeated -c in order', async () => {
    const parsed = await parse(['-c', 'a.yaml', 'promote', 'alice', '-c', 'b.yaml']);
    expect(parsed.command).toBe('promote');
    expect(parsed.options).toMatchObject({ config: ['a.yaml', 'b.yaml'], user: 'alice' });
  });

  it('reads booleans as scripts write them, and gives the defaults the handlers rely on', async () => {
    const { command, options } = await parse(['--dry-run=yes', 'register', 'bob', '--admin=True', '--password-stdin=1', '-y']);
    expect(command).toBe('register');
    expect(options).toMatchObject({ dryRun: true, admin: true, passwordStdin: true, yes: true, json: false, existsOk: false, ignorePolicy: false });
    expect((await parse(['register', 'bob', '--no-admin'])).options.admin).toBe(false);
    expect((await parse(['register', 'bob'])).options.admin).toBeUndefined();
  });

  it('gives each command its own options in camelCase', async () => {
    expect((await parse(['issue-token', 'alice'])).options).toMatchObject({ expiresIn: '1h' });
    expect((await parse(['issue-token', 'alice', '--device-id=PHONE', '--expires-in', '7d'])).options).toMatchObject({ expiresIn: '7d', deviceId: 'PHONE' });
    expect((await parse(['set-password', 'alice', '--logout', '--reactivate=on'])).options).toMatchObject({ logout: true, reactivate: true });
    expect((await parse(['unlock', 'alice'])).options).toMatchObject({ unshadowban: false });
    expect((await parse(['--database-url', 'postgresql:///synapse', 'check'])).options).toMatchObject({ databaseUrl: 'postgresql:///synapse' });
  });

  it('refuses what no handler could use, with a usage error', async () => {
    await expect(parse(['frobnicate'])).rejects.toThrow(UsageError);
    await expect(parse(['register', 'bob', '--admin=maybe'])).rejects.toThrow(/not a boolean/);
    await expect(parse(['register', 'bob', '--displayname', 'a', '--displayname', 'b'])).rejects.toThrow(/given 2 times/);
    await expect(parse(['promote'])).rejects.toThrow(UsageError);
  });
});

describe('argument parsing', () => {
  it('merges repeated -c in order', async () => {
    const dir = configDir();
    writeFileSync(join(dir, 'override.yaml'), 'server_name: other.test\n');
    const run = await cli(['-c', join(dir, 'homeserver.yaml'), '-c', join(dir, 'override.yaml'), 'promote', '@alice:example.test'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/other\.test/);
  });

  it('answers an unknown command with a usage error, as JSON too', async () => {
    const run = await cli(['--json', 'frobnicate']);
    expect(run.code).toBe(2);
    expect(run.json()).toMatchObject({ ok: false, error: { code: 2, kind: 'usage' } });
  });

  it('refuses two password sources', async () => {
    const dir = await withAlice();
    const run = await cli(['-c', join(dir, 'homeserver.yaml'), 'set-password', 'alice', '--password-stdin', '--random-password'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/one password source/);
  });

  it('warns that --password shows in the process list, and never echoes it', async () => {
    const dir = await withAlice();
    const run = await cli(['-c', join(dir, 'homeserver.yaml'), 'set-password', 'alice', '--password', 'Sekr1t-value'], { cwd: dir });
    expect(run.stderr).toMatch(/process list/);
    expect(run.stdout + run.stderr).not.toMatch(/Sekr1t-value/);
  });

  it('needs a config: says where it looked and suggests -c', async () => {
    const dir = tempDir('sab-parse-');
    const run = await cli(['--json', 'list-admins'], { cwd: dir, env: { SYNAPSE_CONFIG_PATH: join(dir, 'nope.yaml') } });
    expect(run.code).toBe(3);
    expect(run.json().error.message).toMatch(/nope\.yaml/);
  });

  it('honours --json=true as --json', async () => {
    const run = await cli(['--json=true', 'frobnicate']);
    expect(run.json()).toMatchObject({ ok: false, error: { code: 2 } });
    expect(run.json().error.message).toMatch(/Unknown command "frobnicate"/);
  });

  it('never repeats a stray argument, which may be a password in the wrong place', async () => {
    const dir = configDir();
    const run = await cli(['-c', join(dir, 'homeserver.yaml'), '--json', 'set-password', 'alice', 'Hunter2-secret'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stdout + run.stderr).not.toMatch(/Hunter2-secret/);
    expect(run.json().error.message).toMatch(/Unexpected extra argument/);
  });

  it('names an unknown option', async () => {
    const run = await cli(['list-admins', '--frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Unknown option --frobnicate/);
  });

  it('with --yes, never prompts for a password even on a terminal', async () => {
    const dir = await withAlice();
    const run = await cli(['-c', join(dir, 'homeserver.yaml'), '--yes', 'set-password', 'alice'], { cwd: dir, tty: true });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/No password given/);
  });

  it('refuses --password-stdin from a terminal, where the password would echo', async () => {
    const dir = await withAlice();
    const run = await cli(['-c', join(dir, 'homeserver.yaml'), 'set-password', 'alice', '--password-stdin'], { cwd: dir, tty: true });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/would show as you type/);
  });

  it('refuses a PostgreSQL URL without its scheme, without repeating it', async () => {
    const dir = configDir();
    const run = await cli(['-c', join(dir, 'homeserver.yaml'), '--database-url', 'synapse:S3cretPw@db.example/synapse', 'list-admins'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/without its scheme/);
    expect(run.stdout + run.stderr).not.toMatch(/S3cretPw/);
  });
});
