// Argument parsing: argv in, behaviour out, no database needed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase } from './helpers/databases.js';
import { seedUser } from './helpers/seed.js';
import { cli } from './helpers/run-cli.js';
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

describe('argument parsing', () => {
  it('takes the command right after -c FILE (a repeatable option must not swallow it)', async () => {
    const dir = configDir();
    const run = await cli(['-c', join(dir, 'homeserver.yaml'), 'promote', 'alice'], { cwd: dir });
    // It got as far as opening the database: the config and the command were both understood.
    expect(run.stderr).toMatch(/missing\.db does not exist/);
    expect(run.code).toBe(4);
  });

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
