// matrix-authentication-service's config as mas-cli reads it: which files, how they merge, the
// database section in both forms with sqlx's environment rules, passwords and admin_users.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, UsageError } from '../../src/errors.js';
import { loadMasConfig, type LoadMasConfigOptions } from '../../src/mas/config.js';
import { sslFor } from '../../src/libpq/tls.js';
import type { GlobalArgs } from '../../src/commands/global-options.js';
import { prepare } from '../../src/commands/prepare.js';
import { processIo, type Io } from '../../src/io.js';
import { Output } from '../../src/output.js';
import { parse } from '../helpers/run-cli.js';
import { tempDir, tempTree } from '../helpers/temp-tree.js';

const SERVER = 'example.org';
const SYNAPSE = '/etc/matrix-synapse/homeserver.yaml';
const OS_USER = () => ({ username: 'mas', homedir: '/home/mas' });
const HEAD = `matrix:\n  homeserver: ${SERVER}\n  secret: shared\nsecrets:\n  encryption: "00"\n`;
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function load(opts: Partial<LoadMasConfigOptions> & { cwd: string }) {
  return loadMasConfig({
    configPaths: [],
    env: {},
    synapseFiles: [SYNAPSE],
    serverName: SERVER,
    locations: [],
    osUser: OS_USER,
    socketDirs: [],
    ...opts,
  });
}

/** dir/mas.yaml is refused as a config error naming the file, matching `message`, quoting no secret of the cases. */
async function expectSecretlessRefusal(dir: string, message: RegExp): Promise<void> {
  const err = await refusal(load({ cwd: dir, configPaths: ['mas.yaml'] }));
  expect(err).toBeInstanceOf(ConfigError);
  expect(err.exitCode).toBe(3);
  expect(err.message).toContain(join(dir, 'mas.yaml'));
  expect(err.message).toMatch(message);
  expect(err.message).not.toMatch(/hunter2|123456/);
}

async function refusal(promise: Promise<unknown>): Promise<Error & { exitCode?: number }> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a refusal');
}

describe('the database section', () => {
  it('reads a uri, percent-decoded, with the OS user where it names none', async () => {
    const dir = await tempTree({ 'mas.yaml': `${HEAD}database:\n  uri: postgresql://mas:p%40ss@db.test:5433/mas?sslmode=require\n` });
    const config = await load({ cwd: dir, configPaths: ['mas.yaml'] });
    expect(config.files).toEqual([join(dir, 'mas.yaml')]);
    expect(config.database.connection).toEqual({ host: 'db.test', port: 5433, user: 'mas', password: 'p@ss', database: 'mas', sslmode: 'require' });
    expect(config.databaseSource).toBe(join(dir, 'mas.yaml'));
  });

  it('reads the separate settings, a socket directory before the host, and a trimmed password_file', async () => {
    const dir = await tempTree({
      'mas.yaml': `${HEAD}database:\n  host: db.test\n  socket: /run/pg\n  port: 6543\n  username: auth\n  password_file: pw\n  database: masdb\n`,
      pw: '  s3cret\n\n',
    });
    const config = await load({ cwd: dir, configPaths: ['mas.yaml'] });
    expect(config.database.connection).toEqual({ host: '/run/pg', port: 6543, user: 'auth', password: 's3cret', database: 'masdb' });
  });

  it("takes MAS's default postgresql:// when the section is absent: sqlx's socket search, PG* variables and ~/.pgpass", async () => {
    const dir = await tempTree({ 'mas.yaml': HEAD, 'sock/.s.PGSQL.5432': '' });
    const plain = await load({ cwd: dir, configPaths: ['mas.yaml'] });
    // No socket in sqlx's directories: localhost, where libpq would use its socket directory.
    expect(plain.database.connection).toEqual({ host: 'localhost', port: 5432, user: 'mas', database: 'mas', passfile: '/home/mas/.pgpass' });
    const socket = await load({ cwd: dir, configPaths: ['mas.yaml'], socketDirs: ['/nowhere', join(dir, 'sock')] });
    expect(socket.database.connection.host).toBe(join(dir, 'sock'));
    const env = { PGHOST: 'pghost.test', PGHOSTADDR: '192.0.2.7', PGPORT: '5499', PGUSER: 'envuser', PGDATABASE: 'envdb', PGPASSWORD: 'envpw', PGSSLMODE: 'verify-full' };
    expect((await load({ cwd: dir, configPaths: ['mas.yaml'], env })).database.connection).toEqual({
      host: '192.0.2.7',
      port: 5499,
      user: 'envuser',
      password: 'envpw',
      database: 'envdb',
      sslmode: 'verify-full',
    });
  });

  it("follows sqlx where it differs from libpq: PEM in PGSSLROOTCERT, PGOPTIONS kept before the URL's, no PGCONNECT_TIMEOUT", async () => {
    const dir = await tempTree({ 'mas.yaml': `${HEAD}database:\n  uri: postgresql://db.test/mas?options=-c%20a%3Db\n` });
    const env = { PGSSLROOTCERT: PEM, PGOPTIONS: '-c x=y', PGCONNECT_TIMEOUT: '3', PGPASSFILE: 'pgpass' };
    expect((await load({ cwd: dir, configPaths: ['mas.yaml'], env })).database.connection).toEqual({
      host: 'db.test',
      port: 5432,
      user: 'mas',
      database: 'mas',
      sslrootcert: PEM,
      options: '-c x=y -c a=b',
      passfile: join(dir, 'pgpass'),
    });
  });

  it('applies ssl_* over the uri, and takes inline PEM as the certificate itself', async () => {
    const dir = await tempTree({
      'mas.yaml':
        `${HEAD}database:\n  uri: postgresql://db.test/mas?sslrootcert=url.pem\n  ssl_mode: verify-ca\n  ssl_ca: |\n` +
        `${PEM.trimEnd().split('\n').map((l) => `    ${l}\n`).join('')}  ssl_certificate_file: client.crt\n  ssl_key_file: /keys/client.key\n`,
    });
    const { connection } = (await load({ cwd: dir, configPaths: ['mas.yaml'] })).database;
    expect(connection).toMatchObject({ sslmode: 'verify-ca', sslrootcert: PEM, sslcert: join(dir, 'client.crt'), sslkey: '/keys/client.key' });
    const tls = sslFor({ ...connection, sslcert: undefined, sslkey: undefined });
    expect(tls && Buffer.from(tls.ca as Buffer).toString()).toBe(PEM);
  });

  it.each([
    ['uri with a split setting', 'uri: postgresql://db.test/mas\n  username: mas', /database\.uri \(.*mas\.yaml line 7\) cannot be combined with database\.username \(.*line 8\)/],
    ['password with password_file', 'password: hunter2\n  password_file: pw', /database\.password \(.*\) and database\.password_file .* both set/],
    ['ssl_ca with ssl_ca_file', 'ssl_ca: x\n  ssl_ca_file: y', /ssl_ca .* and database\.ssl_ca_file .* both set/],
    ['a certificate without a key', 'ssl_certificate_file: c.crt', /client certificate \(.*line 7\) without a key/],
    ['a key without a certificate', 'ssl_key: k', /client key .* without a certificate/],
    ['an unknown ssl_mode', 'ssl_mode: on', /database\.ssl_mode .* must be one of disable/],
    ['a port that is not one', 'port: 70000', /database\.port \(.*line 7\) must be a whole number from 1 to 65535/],
    ['a password that is a number', 'password: 123456', /database\.password \(.*line 7\) must be a string/],
    ['a uri that is not a URL', 'uri: "mysql://hunter2@x"', /database\.uri .* is not a PostgreSQL URL/],
  ])('refuses %s, naming the file and line and not the secret', async (_name, yaml, message) => {
    const dir = await tempTree({ 'mas.yaml': `${HEAD}database:\n  ${yaml}\n`, pw: 'x' });
    await expectSecretlessRefusal(dir, message);
  });

  it("reads plain scalars as serde_yaml does: 0123 is text, 0x1538 a number, an anchor's value shared", async () => {
    const dir = await tempTree({
      'mas.yaml': `${HEAD}database:\n  host: &h db.test\n  port: 0x1538\n  username: *h\n  password: 0123\n  database: 1e3x\n`,
    });
    expect((await load({ cwd: dir, configPaths: ['mas.yaml'] })).database.connection).toEqual({
      host: 'db.test',
      port: 5432,
      user: 'db.test',
      password: '0123',
      database: '1e3x',
    });
    const yes = await tempTree({ 'mas.yaml': `${HEAD}passwords:\n  enabled: yes\n` });
    expect((await refusal(load({ cwd: yes, configPaths: ['mas.yaml'] }))).message).toMatch(/passwords\.enabled \(.*line 7\) must be true or false/);
  });

  it('warns about a setting it does not know', async () => {
    const dir = await tempTree({ 'mas.yaml': `${HEAD}database:\n  uri: postgresql://db.test/mas\n  max_connections: 5\n  sslmode: require\n` });
    const config = await load({ cwd: dir, configPaths: ['mas.yaml'] });
    expect(config.warnings).toEqual([expect.stringMatching(/^database\.sslmode \(.*line 9\) is not a setting this tool knows/)]);
  });
});

describe('where the config comes from', () => {
  it('--mas-database-url overrides the section, and alone needs no config file', async () => {
    const dir = await tempTree({ 'mas.yaml': `${HEAD}database:\n  uri: postgresql://file.test/mas\npolicy:\n  data:\n    admin_users: [root]\n` });
    const both = await load({ cwd: dir, configPaths: ['mas.yaml'], databaseUrl: 'postgres://url.test/masdb' });
    expect(both.database.connection).toMatchObject({ host: 'url.test', database: 'masdb' });
    expect(both.databaseSource).toBe('--mas-database-url');
    expect(both.adminUsers).toEqual(['root']);
    expect(both.passwords?.schemes).toHaveLength(1);

    const alone = await load({ cwd: dir, databaseUrl: 'postgresql://u:pw@url.test/masdb?ssl-mode=require' });
    expect(alone).toMatchObject({ files: [], adminUsers: [] });
    expect(alone.passwords).toBeUndefined();
    expect(alone.database.connection).toMatchObject({ user: 'u', password: 'pw', sslmode: 'require' });
    const bad = await refusal(load({ cwd: dir, databaseUrl: 'mysql://u:hunter2@x/db' }));
    expect(bad).toBeInstanceOf(UsageError);
    expect(bad.message).not.toContain('hunter2');
  });

  it('--mas-config wins over $MAS_CONFIG, which wins over the usual places', async () => {
    const dir = await tempTree({
      'a.yaml': `${HEAD}database:\n  uri: postgresql://a.test/mas\n`,
      'b.yaml': `${HEAD}database:\n  uri: postgresql://b.test/mas\n`,
      'c.yaml': `${HEAD}database:\n  uri: postgresql://c.test/mas\n`,
    });
    const env = { MAS_CONFIG: `${dir}/b.yaml` };
    const host = async (o: Partial<LoadMasConfigOptions>) => (await load({ cwd: dir, locations: [join(dir, 'c.yaml')], ...o })).database.connection.host;
    expect(await host({ configPaths: ['a.yaml'], env })).toBe('a.test');
    expect(await host({ env })).toBe('b.test');
    expect(await host({})).toBe('c.test');
  });

  it('reads the files $MAS_CONFIG names, separated by ":", relative to the working directory', async () => {
    const dir = await tempTree({ 'one.yaml': HEAD, 'two.yaml': 'database:\n  host: two.test\n' });
    const config = await load({ cwd: dir, env: { MAS_CONFIG: 'one.yaml:two.yaml' } });
    expect(config.files).toEqual([join(dir, 'one.yaml'), join(dir, 'two.yaml')]);
    expect(config.database.connection.host).toBe('two.test');
  });

  it("reads a usual place only when it is clearly MAS's, and says why another was skipped", async () => {
    const dir = await tempTree({ 'config.yaml': 'database:\n  uri: postgresql://other-app.test/x\n', 'mas/config.yaml': HEAD });
    const config = await load({ cwd: dir, locations: [join(dir, 'config.yaml'), join(dir, 'mas/config.yaml')] });
    expect(config.files).toEqual([join(dir, 'mas/config.yaml')]);
    expect(config.warnings.join('\n')).toMatch(/config\.yaml is not read: it does not look like a MAS config/);
  });

  it('without any MAS config, refuses naming the options, the places looked and the Synapse file', async () => {
    const dir = tempDir('sab-mas-');
    const err = await refusal(load({ cwd: dir, locations: [join(dir, 'config.yaml'), '/conf/mas-config.yaml'] }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.exitCode).toBe(3);
    for (const part of ['--mas-config', '$MAS_CONFIG', '--mas-database-url', join(dir, 'config.yaml'), '/conf/mas-config.yaml', SYNAPSE]) {
      expect(err.message).toContain(part);
    }
  });

  it('says, with the refusal, which usual place could not be read', async () => {
    const dir = await tempTree({ 'config.yaml': 'matrix: [\n', 'conf/': '' });
    const err = await refusal(load({ cwd: dir, locations: [join(dir, 'config.yaml'), join(dir, 'conf')] }));
    expect(err.message).toMatch(/\nNote: The MAS config .*config\.yaml is not valid YAML \(line \d+/);
    expect(err.message).toMatch(/\nNote: Cannot read the MAS config .*conf \(a usual place\): EISDIR/);
  });

  it('refuses a named file that does not exist, which mas-cli would skip silently', async () => {
    const dir = tempDir('sab-mas-');
    const err = await refusal(load({ cwd: dir, configPaths: ['missing.yaml'] }));
    expect(err.message).toMatch(/missing\.yaml \(--mas-config\) does not exist/);
    const fromEnv = await refusal(load({ cwd: dir, env: { MAS_CONFIG: 'missing.yaml' } }));
    expect(fromEnv.message).toMatch(/missing\.yaml \(\$MAS_CONFIG\) does not exist/);
    const empty = await refusal(load({ cwd: dir, env: { MAS_CONFIG: ':' } }));
    expect(empty.message).toMatch(/\$MAS_CONFIG is set but names no file/);
  });

  it('merges files as figment admerge does: later scalars win, mappings merge, lists are joined', async () => {
    const dir = await tempTree({
      'base.yaml': `${HEAD}database:\n  host: base.test\n  username: mas\npasswords:\n  schemes:\n    - version: 1\n      algorithm: bcrypt\npolicy:\n  data:\n    admin_users: [alice]\n`,
      'extra.yaml': 'database:\n  host: extra.test\npasswords:\n  schemes:\n    - version: 2\n      algorithm: argon2id\npolicy:\n  data:\n    admin_users: [bob]\n',
    });
    const config = await load({ cwd: dir, configPaths: ['base.yaml', 'extra.yaml'] });
    expect(config.database.connection).toMatchObject({ host: 'extra.test', user: 'mas' });
    expect(config.passwords!.schemes.map((s) => [s.version, s.algorithm])).toEqual([[1, 'bcrypt'], [2, 'argon2id']]);
    expect(config.adminUsers).toEqual(['alice', 'bob']);
  });

  it('reads MAS_* variables under the files, as mas-cli does, and says so', async () => {
    const dir = await tempTree({ 'mas.yaml': `${HEAD}database:\n  username: fromfile\n` });
    const config = await load({ cwd: dir, configPaths: ['mas.yaml'], env: { MAS_DATABASE_HOST: 'env.test', MAS_DATABASE_USERNAME: 'fromenv' } });
    expect(config.database.connection).toMatchObject({ host: 'env.test', user: 'fromfile' });
    expect(config.warnings.join('\n')).toMatch(/\$MAS_DATABASE_HOST/);
  });
});

describe('passwords, admin_users and the homeserver', () => {
  it("gives MAS's defaults without a passwords section", async () => {
    const dir = await tempTree({ 'mas.yaml': HEAD });
    const config = await load({ cwd: dir, configPaths: ['mas.yaml'] });
    expect(config.passwords).toEqual({
      enabled: true,
      minimumComplexity: 3,
      schemes: [{ version: 1, algorithm: 'argon2id', unicodeNormalization: false, cost: 12 }],
    });
    expect(config.adminUsers).toEqual([]);
  });

  it('reads schemes sorted by version, secret as UTF-8 and secret_file as raw bytes, trailing newline kept', async () => {
    const dir = await tempTree({
      'mas.yaml':
        `${HEAD}passwords:\n  enabled: true\n  minimum_complexity: 1\n  schemes:\n` +
        '    - version: 3\n      algorithm: argon2id\n      secret_file: pepper\n' +
        '    - version: 1\n      algorithm: bcrypt\n      cost: 10\n      unicode_normalization: true\n      secret: "pép"\n' +
        '    - version: 2\n      algorithm: pbkdf2\n',
      pepper: 'a-secret-pepper\n',
    });
    const pw = (await load({ cwd: dir, configPaths: ['mas.yaml'] })).passwords!;
    expect(pw.minimumComplexity).toBe(1);
    expect(pw.file).toBe(join(dir, 'mas.yaml'));
    expect(pw.schemes).toEqual([
      { version: 1, algorithm: 'bcrypt', unicodeNormalization: true, cost: 10, secret: Buffer.from('pép', 'utf8') },
      { version: 2, algorithm: 'pbkdf2', unicodeNormalization: false, cost: 12 },
      { version: 3, algorithm: 'argon2id', unicodeNormalization: false, cost: 12, secret: Buffer.from('a-secret-pepper\n') },
    ]);
  });

  it.each([
    ['secret with secret_file', '- version: 1\n      algorithm: argon2id\n      secret: hunter2\n      secret_file: pepper', /secret .* and passwords\.schemes\[0\]\.secret_file .* both set/],
    ['a repeated version', '- version: 1\n      algorithm: argon2id\n    - version: 1\n      algorithm: bcrypt\n      secret: hunter2', /version 1 more than once/],
    ['an unknown algorithm', '- version: 1\n      algorithm: scrypt\n      secret: hunter2', /passwords\.schemes\[0\]\.algorithm \(.*line 9\) must be one of argon2id, bcrypt, pbkdf2/],
    ['a scheme without version', '- algorithm: bcrypt\n      secret: hunter2', /passwords\.schemes\[0\] \(.*line 8\) has no version/],
    ['a secret that is not a string', '- version: 1\n      algorithm: bcrypt\n      secret: 123456', /passwords\.schemes\[0\]\.secret \(.*line 10\) must be a string/],
    ['an empty list', '[]', /passwords\.schemes .* is empty/],
  ])('refuses %s, naming the file and line, never the secret', async (_name, schemes, message) => {
    const dir = await tempTree({ 'mas.yaml': `${HEAD}passwords:\n  schemes:\n    ${schemes}\n`, pepper: 'p' });
    await expectSecretlessRefusal(dir, message);
  });

  it('with passwords disabled, checks no scheme and reads no secret, as MAS does', async () => {
    const dir = await tempTree({ 'mas.yaml': `${HEAD}passwords:\n  enabled: false\n  schemes:\n    - version: 1\n      algorithm: bcrypt\n      secret_file: /nonexistent\n` });
    const pw = (await load({ cwd: dir, configPaths: ['mas.yaml'] })).passwords!;
    expect(pw.enabled).toBe(false);
    expect(pw.schemes[0]!.secret).toBeUndefined();
  });

  it("reads upstream_oauth2.providers' id and synapse_idp_id for adopt, and refuses a providers key that is not a list", async () => {
    const dir = await tempTree({
      'mas.yaml': `${HEAD}upstream_oauth2:\n  providers:\n    - id: 01JSHPZHAXC50QBKH67MH33TNF\n      synapse_idp_id: oidc-dex\n      issuer: https://dex.test\n    - id: 01JSHPZHAXC50QBKH67MH33TNG\n`,
      'bad.yaml': `${HEAD}upstream_oauth2:\n  providers: oidc-dex\n`,
    });
    const config = await load({ cwd: dir, configPaths: ['mas.yaml'] });
    expect(config.upstreamProviders).toMatchObject([
      { id: '01JSHPZHAXC50QBKH67MH33TNF', synapseIdpId: 'oidc-dex' },
      { id: '01JSHPZHAXC50QBKH67MH33TNG', synapseIdpId: undefined },
    ]);
    expect((await load({ cwd: dir, configPaths: [], databaseUrl: 'postgresql://x.test/mas' })).upstreamProviders).toBeUndefined();
    const err = await refusal(load({ cwd: dir, configPaths: ['bad.yaml'] }));
    expect(err.message).toMatch(/upstream_oauth2\.providers \(.*bad\.yaml line \d+\) must be a list of providers/);
  });

  it('refuses a MAS config of another homeserver, naming both names and both files', async () => {
    const dir = await tempTree({ 'mas.yaml': HEAD.replace(SERVER, 'other.example'), 'bare.yaml': 'secrets: {}\n' });
    const err = await refusal(load({ cwd: dir, configPaths: ['mas.yaml'] }));
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(/matrix\.homeserver "other\.example" \(.*mas\.yaml line 2\).*server_name is "example\.org" \(\/etc\/matrix-synapse\/homeserver\.yaml\)/);
    const bare = await refusal(load({ cwd: dir, configPaths: ['bare.yaml'] }));
    expect(bare.message).toMatch(/no matrix\.homeserver in .*bare\.yaml \(MAS's default is "localhost:8008"\)/);
  });

  it('refuses a file whose aliases expand without end, before expanding them', async () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) levels.push(`${'abcdefghij'[i]}: &${'abcdefghij'[i]} [${Array(10).fill(`*${'abcdefghij'[i - 1]}`).join(', ')}]`);
    const dir = await tempTree({ 'mas.yaml': `${HEAD}${levels.join('\n')}\n` });
    const err = await refusal(load({ cwd: dir, configPaths: ['mas.yaml'] }));
    expect(err.message).toMatch(/mas\.yaml expands too many aliases/);
  });

  it('refuses invalid YAML with the line, without quoting it', async () => {
    const dir = await tempTree({ 'mas.yaml': `${HEAD}database:\n  password: "hunter2\n` });
    const err = await refusal(load({ cwd: dir, configPaths: ['mas.yaml'] }));
    expect(err.message).toMatch(/mas\.yaml is not valid YAML \(line \d+/);
    expect(err.message).not.toContain('hunter2');
  });
});

describe('through the command context', () => {
  async function prepared(dir: string, masYaml: string) {
    await writeFile(join(dir, 'mas.yaml'), masYaml);
    const { options } = await parse(['-c', 'homeserver.yaml', '--mas-config', 'mas.yaml', '--verbose', 'list-admins'], { cwd: dir });
    const stderr: string[] = [];
    const io = { ...processIo(), cwd: dir, env: {}, stderr: { write: (s: string) => stderr.push(s) } } as unknown as Io;
    // Commands opt in to MAS one by one (other helpers wire them); prepare() is where every one reads the config.
    const result = await prepare(options as unknown as GlobalArgs, io, new Output(io, false, true), { changes: false }).catch((e: Error) => e);
    return { result, stderr: stderr.join('') };
  }

  it('hands a homeserver.yaml with MAS enabled, --mas-config and server_name to loadMasConfig', async () => {
    const dir = await tempTree({
      'homeserver.yaml':
        `server_name: ${SERVER}\nreport_stats: false\ndatabase:\n  name: sqlite3\n  args:\n    database: /nonexistent/homeserver.db\n` +
        'matrix_authentication_service:\n  enabled: true\n  secret: shared\n',
    });
    const ok = await prepared(dir, `${HEAD}database:\n  uri: postgresql://auth@db.test:5433/mas\n`);
    expect(ok.result).not.toBeInstanceOf(Error);
    expect(ok.stderr).toContain(`Read MAS config: ${join(dir, 'mas.yaml')}`);
    expect(ok.stderr).toContain(`MAS database (${join(dir, 'mas.yaml')}): postgres auth@db.test:5433/mas`);
    const wrong = await prepared(dir, HEAD.replace(SERVER, 'wrong.example'));
    expect(wrong.result).toBeInstanceOf(ConfigError);
    expect((wrong.result as Error).message).toMatch(/"wrong\.example".*server_name is "example\.org" \(.*homeserver\.yaml\)/);
  });
});
