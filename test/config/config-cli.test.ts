// Config reading as commands meet it: what fails, with which exit code, and what is left unwritten.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseSettings } from '../../src/database/settings.js';
import { DIALECTS, freshDatabase, writeHomeserverYaml } from '../helpers/databases.js';
import { cli, type CliRun } from '../helpers/run-cli.js';
import { seedUser, snapshot } from '../helpers/seed.js';

const HS = 'example.test';

describe.each(DIALECTS)('config reading on %s', (dialect) => {
  let db: Knex;
  let settings: DatabaseSettings;
  let dir: string;
  let config: string;
  let cleanup: () => Promise<void>;
  const run = (args: string[], input?: string): Promise<CliRun> => cli(['-c', config, '--json', ...args], { input, cwd: dir });

  beforeEach(async () => {
    const fresh = await freshDatabase(dialect);
    db = fresh.knex;
    settings = fresh.settings;
    dir = mkdtempSync(join(tmpdir(), 'sab-cfg-'));
    config = join(dir, 'homeserver.yaml');
    cleanup = async () => {
      await fresh.cleanup();
      rmSync(dir, { recursive: true, force: true });
    };
  });
  afterEach(async () => cleanup());

  describe('a quoted bcrypt_rounds ("12"), which Synapse only trips over when it hashes', () => {
    beforeEach(async () => {
      await writeHomeserverYaml(dir, { serverName: HS, database: settings, extra: { bcrypt_rounds: '12' } });
      await seedUser(db, { name: '@alice:example.test', admin: true });
    });

    it.each([['list-admins'], ['check'], ['promote', 'alice'], ['demote', 'alice'], ['issue-token', 'alice']])(
      'does not stop %s',
      async (...args) => {
        const res = await run(args);
        expect({ code: res.code, stderr: res.stderr }).toMatchObject({ code: 0 });
      },
    );

    it.each([
      ['set-password', ['set-password', 'alice', '--password-stdin']],
      ['register of a new user', ['register', 'bob', '--no-admin', '--password-stdin']],
    ])('refuses %s with exit 3, naming the file and the key, writing nothing', async (_name, args) => {
      const before = await snapshot(db);
      const res = await run(args, 'a-Fine-password-42\n');
      expect(res.code).toBe(3);
      const { message } = res.json().error;
      expect(message).toContain(config);
      expect(message).toMatch(/bcrypt_rounds .*is a string.*whole number from 4 to 31/);
      expect(res.stderr).toContain(message);
      expect(await snapshot(db)).toEqual(before);
    });

    it('lets register --exists-ok of an existing user through: no hash is needed', async () => {
      const res = await run(['register', 'alice', '--exists-ok', '--admin', '--password-stdin'], 'unused\n');
      expect({ code: res.code, stderr: res.stderr }).toMatchObject({ code: 0 });
    });
  });

  it.each([
    ['invalid UTF-8', Buffer.from('# caf\xe9 \xff\n', 'latin1'), /not valid UTF-8: line 4, column 6/],
    ['a NUL byte', Buffer.from('# a\0b\n'), /line 4, column 4: a NUL or control character/],
  ])('refuses a config with %s before touching the database', async (_name, bytes, message) => {
    await writeHomeserverYaml(dir, { serverName: HS, database: settings, extra: { bcrypt_rounds: 4 } });
    // Three lines of comments first, so the bad byte is on line 4.
    const good = '# one\n# two\n# three\n';
    const body = readFileSync(config);
    writeFileSync(config, Buffer.concat([Buffer.from(good), bytes, body]));
    await seedUser(db, { name: '@alice:example.test' });
    const before = await snapshot(db);
    const res = await run(['promote', 'alice']);
    expect(res.code).toBe(3);
    expect(res.json().error.message).toMatch(message);
    expect(res.json().error.message).toContain(config);
    expect(await snapshot(db)).toEqual(before);
  });

  it('keeps the warning about an ignored .yml file when loading then fails, in text and --json', async () => {
    const confDir = join(dir, 'conf');
    await writeHomeserverYaml(dir, { serverName: HS, database: settings });
    // The database section sits in a .yml file, which Synapse does not read: that is the failure.
    mkdirSync(confDir);
    const full = readFileSync(config, 'utf8');
    writeFileSync(join(confDir, 'homeserver.yaml'), `server_name: ${HS}\nreport_stats: false\n`);
    writeFileSync(join(confDir, 'database.yml'), full);
    for (const json of [true, false]) {
      const res = await cli(['-c', confDir, ...(json ? ['--json'] : []), 'list-admins'], { cwd: dir });
      expect(res.code).toBe(3);
      const text = json ? res.json().error.message : res.stderr;
      expect(text).toMatch(/No database is configured/);
      expect(text).toMatch(/database\.yml is not read: Synapse reads only \*\.yaml files/);
    }
  });
});
