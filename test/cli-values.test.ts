// Option values and <user> arguments refused before any database work: options without a value,
// options given twice, values Synapse would refuse, stray whitespace, and a password typed where
// --password-file wants a path.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase } from './helpers/databases.js';
import { cli } from './helpers/run-cli.js';
import { seedUser } from './helpers/seed.js';
import { tempDir } from './helpers/temp-tree.js';

/** A config whose database does not exist: exit 4 proves the arguments were accepted. */
function configDir(): string {
  const dir = tempDir('sab-values-');
  writeFileSync(join(dir, 'homeserver.yaml'), 'server_name: example.test\ndatabase:\n  name: sqlite3\n  args:\n    database: missing.db\n');
  return dir;
}

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

const DATABASE_MISSING = 4;

describe('an option that needs a value', () => {
  it.each([
    [['promote', 'alice', '-c'], '-c/--config'],
    [['promote', 'alice', '--database-url'], '--database-url'],
    [['register', 'alice', '--admin', '--displayname'], '--displayname'],
    [['register', 'alice', '--admin', '--user-type'], '--user-type'],
    [['register', 'alice', '--admin', '--password-file'], '--password-file'],
    [['register', 'alice', '--admin', '--password'], '--password'],
    [['issue-token', 'alice', '--device-id'], '--device-id'],
    [['issue-token', 'alice', '--expires-in'], '--expires-in'],
    [['register', 'alice', '--displayname', '--admin'], '--displayname'],
  ])('%j is a usage error naming %s', async (argv, option) => {
    const run = await cli(['--json', ...argv], { cwd: configDir() });
    expect(run.code).toBe(2);
    expect(run.json().error.message).toContain(`${option} needs a value`);
  });

  it('takes an empty value given explicitly (an empty --displayname means none, as in Synapse)', async () => {
    const run = await cli(['register', 'carol', '--no-admin', '--displayname', '', '--random-password'], { cwd: configDir() });
    expect(run.code).toBe(DATABASE_MISSING);
  });

  it.each([
    [['register', 'alice', '--admin', '--displayname', 'A', '--displayname', 'B'], '--displayname'],
    [['register', 'alice', '--admin', '--password-file', 'a', '--password-file', 'b'], '--password-file'],
    [['issue-token', 'alice', '--device-id', 'A', '--device-id', 'B'], '--device-id'],
    [['--database-url', 'a.db', '--database-url', 'b.db', 'list-admins'], '--database-url'],
  ])('%j: given twice is a usage error, not a guess', async (argv, option) => {
    const run = await cli(['--json', ...argv], { cwd: configDir() });
    expect(run.code).toBe(2);
    expect(run.json().error.message).toContain(`${option} is given 2 times. Give it once.`);
  });
});

describe('values Synapse would refuse', () => {
  it.each([
    ['257 characters', 'x'.repeat(257), /--displayname is 257 characters long; Synapse allows at most 256/],
    ['100,000 characters', 'x'.repeat(100_000), /--displayname is 100000 characters long/],
    ['a newline', 'Alice\nAdmin', /--displayname contains the control character U\+000A/],
    ['NUL', 'Alice\0', /control character U\+0000/],
    ['ESC', '\x1b[31mAlice', /control character U\+001B/],
    ['DEL', 'Alice\x7f', /control character U\+007F/],
    ['a C1 control', 'Alice\u0085', /control character U\+0085/],
  ])('refuses a display name with %s', async (_what, name, message) => {
    const run = await cli(['--json', 'register', 'carol', '--admin', '--random-password', '--displayname', name], { cwd: configDir() });
    expect(run.code).toBe(2);
    expect(run.json().error.message).toMatch(message);
  });

  it('counts a display name in code points, as Python does: 256 emoji pass', async () => {
    const run = await cli(['register', 'carol', '--admin', '--random-password', '--displayname', '😀'.repeat(256)], { cwd: configDir() });
    expect(run.code).toBe(DATABASE_MISSING);
  });

  it.each([
    ['empty', '', /--device-id is empty/],
    ['513 characters', 'D'.repeat(513), /--device-id is 513 characters long; Synapse's login allows at most 512/],
    ['a newline', 'ABC\n', /--device-id contains the control character U\+000A/],
    ['a tab', 'AB\tC', /control character U\+0009/],
    ['NUL', 'AB\0C', /control character U\+0000/],
    ['a trailing space', 'ABCDEF ', /begins or ends with whitespace/],
  ])('refuses a device ID that is %s', async (_what, deviceId, message) => {
    const run = await cli(['--json', 'issue-token', 'alice', '--device-id', deviceId], { cwd: configDir() });
    expect(run.code).toBe(2);
    expect(run.json().error.message).toMatch(message);
  });

  it('takes a device ID of 512 code points', async () => {
    const run = await cli(['issue-token', 'alice', '--device-id', '𝔇'.repeat(512)], { cwd: configDir() });
    expect(run.code).toBe(DATABASE_MISSING);
  });
});

describe('whitespace around a user', () => {
  it.each([
    ['@alice:example.test ', /"@alice:example\.test " ends with whitespace \(U\+0020\)/],
    [' @alice:example.test', /begins with whitespace \(U\+0020\)/],
    ['@alice:example.test\n', /ends with whitespace \(U\+000A\)/],
    ['alice ', /"alice " ends with whitespace \(U\+0020\)/],
    ['\talice', /begins with whitespace \(U\+0009\)/],
    ['@alice:exa mple.test', /contains whitespace \(U\+0020\)/],
    ['@alice:example.test\u00a0', /ends with whitespace \(U\+00A0\)/],
  ])('%j: says it is whitespace, not a foreign server', async (user, message) => {
    const run = await cli(['--json', 'promote', user], { cwd: configDir() });
    expect(run.code).toBe(2);
    expect(run.json().error.message).toMatch(message);
    expect(run.json().error.message).not.toMatch(/server_name|belongs to the server/);
  });
});

describe('--password-file given a password instead of a path', () => {
  it('says the file cannot be read and never repeats the value, with --verbose and --json', async () => {
    const dir = configDir();
    const db = await freshDatabase('sqlite');
    cleanups.push(db.cleanup);
    await seedUser(db.knex, { name: '@alice:example.test' });
    if (db.settings.engine !== 'sqlite') throw new Error('expected sqlite');
    writeFileSync(join(dir, 'homeserver.yaml'), `server_name: example.test\ndatabase:\n  name: sqlite3\n  args:\n    database: ${db.settings.path}\n`);
    for (const json of [[], ['--json']]) {
      const run = await cli(['--verbose', ...json, 'set-password', 'alice', '--password-file', 'MyS3cret!'], { cwd: dir });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/Cannot read the file given with --password-file: it does not exist/);
      expect(run.stdout + run.stderr).not.toContain('MyS3cret');
    }
  });
});
