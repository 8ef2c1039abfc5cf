import { chmod } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfigLocations, loadConfig, type ConfigLocation } from '../../src/config/load.js';
import { configError } from '../helpers/config-error.js';
import { tempTree, type Tree } from '../helpers/temp-tree.js';

const BASE = 'server_name: example.test\nreport_stats: false\n';
const SQLITE = 'database:\n  name: sqlite3\n  args:\n    database: /srv/synapse/homeserver.db\n';
const HS = BASE + SQLITE;

/** Synapse's usual places, moved under `root` so a test can create them. */
function locationsUnder(root: string, env: NodeJS.ProcessEnv, cwd: string): ConfigLocation[] {
  const inRoot = (p: string): string => (p.startsWith(root) ? p : join(root, p));
  return defaultConfigLocations(env, cwd).map((l) => ({ ...l, path: inRoot(l.path), ...(l.confDir ? { confDir: inRoot(l.confDir) } : {}) }));
}

/** Loads with the default discovery, in a tree holding `cwd/`, `etc/matrix-synapse/`, `data/`. */
async function discover(tree: Tree, env: NodeJS.ProcessEnv = {}) {
  const root = await tempTree({ 'cwd/': '', ...tree });
  const cwd = join(root, 'cwd');
  const envIn = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v?.replace('ROOT', root)]));
  const config = await loadConfig({ configPaths: [], env: envIn, cwd, locations: locationsUnder(root, envIn, cwd) });
  return { config, root, files: config.files.map((f) => f.slice(root.length + 1)) };
}

async function load(tree: Tree, configPaths: string[], extra: { databaseUrl?: string; env?: NodeJS.ProcessEnv } = {}) {
  const root = await tempTree(tree);
  return loadConfig({ configPaths, cwd: root, env: extra.env ?? {}, databaseUrl: extra.databaseUrl });
}

describe('default locations', () => {
  it('are ./homeserver.yaml, then Debian with conf.d, then the container', () => {
    expect(defaultConfigLocations({}, '/home/admin')).toEqual([
      { path: '/home/admin/homeserver.yaml' },
      { path: '/etc/matrix-synapse/homeserver.yaml', confDir: '/etc/matrix-synapse/conf.d' },
      { path: '/data/homeserver.yaml' },
    ]);
  });

  it("follow the container's SYNAPSE_CONFIG_DIR", () => {
    expect(defaultConfigLocations({ SYNAPSE_CONFIG_DIR: '/config' }, '/')[2]).toEqual({ path: '/config/homeserver.yaml' });
  });

  it('are only $SYNAPSE_CONFIG_PATH when it is set, resolved against the cwd', () => {
    expect(defaultConfigLocations({ SYNAPSE_CONFIG_PATH: 'conf/hs.yaml' }, '/srv')).toEqual([
      { path: '/srv/conf/hs.yaml', envVar: 'SYNAPSE_CONFIG_PATH' },
    ]);
  });
});

describe('discovery without -c', () => {
  const everywhere: Tree = {
    'cwd/homeserver.yaml': HS,
    'etc/matrix-synapse/homeserver.yaml': HS,
    'data/homeserver.yaml': HS,
  };

  it('takes $SYNAPSE_CONFIG_PATH before anything else', async () => {
    const { files } = await discover({ ...everywhere, 'env/hs.yaml': HS }, { SYNAPSE_CONFIG_PATH: 'ROOT/env/hs.yaml' });
    expect(files).toEqual(['env/hs.yaml']);
  });

  it('reads a directory named by $SYNAPSE_CONFIG_PATH like a -c directory', async () => {
    const { files } = await discover({ 'env/b.yaml': HS, 'env/a.yaml': BASE }, { SYNAPSE_CONFIG_PATH: 'ROOT/env' });
    expect(files).toEqual(['env/a.yaml', 'env/b.yaml']);
  });

  it('refuses a $SYNAPSE_CONFIG_PATH that does not exist instead of reading another config', async () => {
    const message = await configError(discover(everywhere, { SYNAPSE_CONFIG_PATH: 'ROOT/nowhere.yaml' }));
    expect(message).toMatch(/\$SYNAPSE_CONFIG_PATH is set to .*nowhere\.yaml, which does not exist/);
    expect(message).toContain('-c');
  });

  it('takes ./homeserver.yaml next, and says which others exist', async () => {
    const { files, config } = await discover(everywhere);
    expect(files).toEqual(['cwd/homeserver.yaml']);
    expect(config.warnings.join('\n')).toMatch(/etc\/matrix-synapse\/homeserver\.yaml and .*data\/homeserver\.yaml also exist/);
  });

  it("takes Debian's homeserver.yaml with conf.d/*.yaml, sorted, after it", async () => {
    const { files, config } = await discover({
      'etc/matrix-synapse/homeserver.yaml': 'server_name: wrong.test\n' + SQLITE,
      'etc/matrix-synapse/conf.d/server_name.yaml': 'server_name: debian.test\n',
      'etc/matrix-synapse/conf.d/report_stats.yaml': 'report_stats: true\n',
      'etc/matrix-synapse/conf.d/README': 'not config',
      'data/homeserver.yaml': HS,
    });
    expect(files).toEqual([
      'etc/matrix-synapse/homeserver.yaml',
      'etc/matrix-synapse/conf.d/report_stats.yaml',
      'etc/matrix-synapse/conf.d/server_name.yaml',
    ]);
    expect(config.serverName).toBe('debian.test');
  });

  it("reads Debian's homeserver.yaml alone when conf.d is missing", async () => {
    const { files } = await discover({ 'etc/matrix-synapse/homeserver.yaml': HS });
    expect(files).toEqual(['etc/matrix-synapse/homeserver.yaml']);
  });

  it("falls back to the container's /data/homeserver.yaml", async () => {
    const { files } = await discover({ 'data/homeserver.yaml': HS });
    expect(files).toEqual(['data/homeserver.yaml']);
  });

  it('says where it looked and suggests -c when nothing is found', async () => {
    const message = await configError(discover({}));
    expect(message).toMatch(/No Synapse config found: tried .*cwd\/homeserver\.yaml, .*etc\/matrix-synapse\/homeserver\.yaml, .*data\/homeserver\.yaml/);
    expect(message).toContain('-c /path/to/homeserver.yaml');
  });
});

describe('-c paths', () => {
  it('reads each path in order and ignores $SYNAPSE_CONFIG_PATH', async () => {
    const root = await tempTree({ 'one.yaml': HS, 'two.yaml': 'server_name: two.test\n', 'env.yaml': 'server_name: env.test\n' });
    const config = await loadConfig({
      configPaths: ['one.yaml', join(root, 'two.yaml')],
      cwd: root,
      env: { SYNAPSE_CONFIG_PATH: join(root, 'env.yaml') },
    });
    expect(config.files).toEqual([join(root, 'one.yaml'), join(root, 'two.yaml')]);
    expect(config.serverName).toBe('two.test');
  });

  it('adds only the *.yaml files of a directory, in sorted order, skipping subdirectories', async () => {
    const root = await tempTree({
      'hs.yaml': HS,
      'conf.d/2-b.yaml': 'server_name: from-2.test\n',
      'conf.d/10-a.yaml': 'server_name: from-10.test\n',
      'conf.d/.hidden.yaml': 'pid_file: /run/hidden.pid\n',
      'conf.d/extra.yml': 'server_name: yml.test\n',
      'conf.d/notes.txt': 'server_name: txt.test\n',
      'conf.d/sub.yaml/inner.yaml': 'server_name: inner.test\n',
    });
    const config = await loadConfig({ configPaths: ['hs.yaml', 'conf.d'], cwd: root, env: {} });
    expect(config.files.map((f) => f.slice(root.length + 1))).toEqual([
      'hs.yaml',
      'conf.d/.hidden.yaml',
      'conf.d/10-a.yaml',
      'conf.d/2-b.yaml',
    ]);
    expect(config.serverName).toBe('from-2.test');
    expect(config.warnings.join('\n')).toMatch(/extra\.yml is not read: Synapse reads only \*\.yaml/);
  });

  it('merges shallowly: a later file replaces a whole top-level section', async () => {
    const config = await load(
      {
        'a.yaml': HS + 'password_config:\n  pepper: first\n  policy:\n    enabled: true\n    minimum_length: 20\n',
        'b.yaml': 'password_config:\n  pepper: second\n',
      },
      ['a.yaml', 'b.yaml'],
    );
    expect(config.password.pepper).toBe('second');
    expect(config.password.policy).toMatchObject({ enabled: false, minimumLength: 0 });
  });

  it('names the file the database came from', async () => {
    const config = await load({ 'a.yaml': HS, 'b.yaml': 'database:\n  name: sqlite3\n  args:\n    database: /b.db\n' }, ['a.yaml', 'b.yaml']);
    expect(config.database).toEqual({ engine: 'sqlite', path: '/b.db' });
    expect(config.databaseSource).toMatch(/b\.yaml$/);
  });

  it('refuses a -c path that does not exist, naming it', async () => {
    const message = await configError(load({ 'hs.yaml': HS }, ['hs.yaml', 'missing.yaml']));
    expect(message).toMatch(/missing\.yaml does not exist/);
  });

  it('refuses a directory without *.yaml files', async () => {
    expect(await configError(load({ 'empty/': '' }, ['empty']))).toMatch(/No \*\.yaml files in .*empty/);
  });

  it('skips an empty file and a file that is not a mapping, with a warning, as Synapse does', async () => {
    const config = await load({ 'hs.yaml': HS, 'empty.yaml': '# nothing here\n', 'list.yaml': '- server_name: list.test\n' }, [
      'hs.yaml',
      'empty.yaml',
      'list.yaml',
    ]);
    expect(config.serverName).toBe('example.test');
    expect(config.warnings.filter((w) => w.includes('Synapse skips it'))).toHaveLength(2);
  });

  it('reports invalid YAML with the file and line, without quoting the file', async () => {
    const message = await configError(
      load({ 'hs.yaml': 'server_name: example.test\ndatabase:\n  args:\n    password: "hunter2\n' }, ['hs.yaml']),
    );
    expect(message).toMatch(/hs\.yaml is not valid YAML: line \d+, column \d+/);
    expect(message).not.toContain('hunter2');
  });

  if (process.getuid?.() === 0) {
    console.warn('config/load.test.ts: skipping "names an unreadable file": root can read any file, so the error cannot happen');
  }
  it.skipIf(process.getuid?.() === 0)('names an unreadable file (skipped as root, who can read any file)', async () => {
    const root = await tempTree({ 'hs.yaml': HS });
    await chmod(join(root, 'hs.yaml'), 0o000);
    const message = await configError(loadConfig({ configPaths: ['hs.yaml'], cwd: root, env: {} }));
    expect(message).toMatch(/Cannot read .*hs\.yaml: permission denied/);
  });
});

describe('required settings', () => {
  it('needs server_name, and says which files were read', async () => {
    const message = await configError(load({ 'hs.yaml': 'report_stats: false\n' + SQLITE }, ['hs.yaml']));
    expect(message).toMatch(/No server_name in .*hs\.yaml/);
  });

  it('refuses a server_name that is not a string', async () => {
    expect(await configError(load({ 'hs.yaml': 'server_name: [a]\n' + SQLITE }, ['hs.yaml']))).toMatch(/server_name in .*must be a domain/);
  });

  it('warns when report_stats is missing, which Synapse refuses', async () => {
    const config = await load({ 'hs.yaml': 'server_name: example.test\n' + SQLITE }, ['hs.yaml']);
    expect(config.warnings.join('\n')).toMatch(/report_stats is not set/);
  });

  it('needs a database unless --database-url gives one', async () => {
    expect(await configError(load({ 'hs.yaml': BASE }, ['hs.yaml']))).toMatch(/No database is configured in .*hs\.yaml/);
    const config = await load({ 'hs.yaml': BASE }, ['hs.yaml'], { databaseUrl: 'postgresql://synapse@db.test/synapse' });
    expect(config.database).toMatchObject({ engine: 'postgres', connection: { host: 'db.test', database: 'synapse' } });
    expect(config.databaseSource).toBe('--database-url');
  });

  it('lets --database-url override the config database', async () => {
    const config = await load({ 'hs.yaml': HS, 'my.db': '' }, ['hs.yaml'], { databaseUrl: 'my.db' });
    expect(config.database).toEqual({ engine: 'sqlite', path: expect.stringMatching(/sab-tree-.*\/my\.db$/) });
  });
});

describe('password settings', () => {
  const withPasswords = (yaml: string) => load({ 'hs.yaml': HS + yaml }, ['hs.yaml']).then((c) => c.password);

  it("has Synapse's defaults", async () => {
    expect(await withPasswords('')).toEqual({
      loginEnabled: true,
      localdbEnabled: true,
      pepper: '',
      bcryptRounds: 12,
      policy: { enabled: false, minimumLength: 0, requireDigit: false, requireSymbol: false, requireLowercase: false, requireUppercase: false },
    });
  });

  it('reads pepper, bcrypt_rounds and the policy', async () => {
    const password = await withPasswords(
      'bcrypt_rounds: 14\npassword_config:\n  pepper: "0123"\n  policy:\n    enabled: yes\n    minimum_length: 12\n    require_digit: true\n    require_symbol: on\n    require_uppercase: true\n',
    );
    expect(password).toMatchObject({ pepper: '0123', bcryptRounds: 14 });
    expect(password.policy).toEqual({
      enabled: true,
      minimumLength: 12,
      requireDigit: true,
      requireSymbol: true,
      requireLowercase: false,
      requireUppercase: true,
    });
  });

  it.each([
    ['enabled: false', { loginEnabled: false, localdbEnabled: true }],
    ['enabled: only_for_reauth', { loginEnabled: false, localdbEnabled: true }],
    ['localdb_enabled: false', { loginEnabled: true, localdbEnabled: false }],
  ])('reads password_config %s', async (yaml, expected) => {
    expect(await withPasswords(`password_config:\n  ${yaml}\n`)).toMatchObject(expected);
  });

  it('turns password login off by default when matrix-authentication-service is enabled', async () => {
    const config = await load({ 'hs.yaml': HS + 'matrix_authentication_service:\n  enabled: true\n  secret_path: /s\n' }, ['hs.yaml']);
    expect(config.delegatedAuth).toBe(true);
    expect(config.password.loginEnabled).toBe(false);
  });

  it.each([
    ['pepper: 12345', /password_config\.pepper in .*hs\.yaml must be a string/],
    ['pepper:', /password_config\.pepper in .*must be a string/],
  ])('refuses password_config %s', async (yaml, expected) => {
    expect(await configError(withPasswords(`password_config:\n  ${yaml}\n`))).toMatch(expected);
  });

  // Synapse reads it with config.get("bcrypt_rounds", 12) and trips over it only in bcrypt.gensalt.
  it.each([
    ['bcrypt_rounds: "12"', '12'],
    ['bcrypt_rounds: 3', 3],
    ['bcrypt_rounds: 12.5', 12.5],
    ['bcrypt_rounds:', null],
  ])('keeps %s as written, with its file, for hashing to judge', async (yaml, rounds) => {
    const password = await withPasswords(`${yaml}\n`);
    expect(password.bcryptRounds).toEqual(rounds);
    expect(password.bcryptRoundsFile).toMatch(/hs\.yaml$/);
  });
});

describe('other settings', () => {
  const loadWith = (yaml: string) => load({ 'hs.yaml': HS + yaml }, ['hs.yaml']);

  it('sees delegated auth in the old experimental msc3861 form, with a warning', async () => {
    const config = await loadWith('experimental_features:\n  msc3861:\n    enabled: true\n');
    expect(config.delegatedAuth).toBe(true);
    expect(config.warnings.join('\n')).toMatch(/msc3861 .* removed in Synapse 1\.157/);
  });

  it('has no delegated auth by default', async () => {
    expect((await loadWith('')).delegatedAuth).toBe(false);
  });

  it('reads allow_underscore_prefixed_localpart, off by default', async () => {
    expect((await loadWith('')).allowUnderscorePrefixedLocalpart).toBe(false);
    expect((await loadWith('allow_underscore_prefixed_localpart: true\n')).allowUnderscorePrefixedLocalpart).toBe(true);
  });

  it('resolves pid_file and app_service_config_files against the cwd', async () => {
    const root = await tempTree({ 'hs.yaml': HS + 'pid_file: run/hs.pid\napp_service_config_files:\n  - as/irc.yaml\n  - /etc/as.yaml\n' });
    const config = await loadConfig({ configPaths: ['hs.yaml'], cwd: root, env: {} });
    expect(config.pidFile).toBe(join(root, 'run/hs.pid'));
    expect(config.appServiceConfigFiles).toEqual([join(root, 'as/irc.yaml'), '/etc/as.yaml']);
  });

  it('refuses app_service_config_files that is not a list of paths', async () => {
    expect(await configError(loadWith('app_service_config_files: /etc/as.yaml\n'))).toMatch(/app_service_config_files in .* list of file paths/);
  });

  it('reads the server notices localpart, which Synapse keeps from registration', async () => {
    expect((await loadWith('')).serverNoticesLocalpart).toBeUndefined();
    expect((await loadWith('server_notices:\n  system_mxid_localpart: notices\n')).serverNoticesLocalpart).toBe('notices');
  });

  it('reads TCP listeners with Synapse defaults, and unix socket listeners', async () => {
    const config = await loadWith(
      [
        'listeners:',
        '  - {port: 8008, type: http, tls: false, resources: [{names: [client, federation]}]}',
        '  - {port: 8448, type: http, tls: true, bind_addresses: ["127.0.0.1"], bind_address: "::1", resources: [{names: [federation]}]}',
        '  - {port: 9000, type: metrics}',
        '  - {path: /run/synapse/main.sock, type: http, resources: [{names: [client]}]}',
        '  - {port: "8009", type: http}',
        '',
      ].join('\n'),
    );
    expect(config.listeners).toEqual([
      { port: 8008, bindAddresses: ['::', '0.0.0.0'], tls: false, http: true, client: true },
      { port: 8448, bindAddresses: ['127.0.0.1', '::1'], tls: true, http: true, client: false },
      { port: 9000, bindAddresses: ['0.0.0.0'], tls: false, http: false, client: false },
      { path: '/run/synapse/main.sock', http: true, client: true },
    ]);
    expect(config.warnings.join('\n')).toMatch(/listeners\[4\]\.port .* not a number/);
  });

  it('resolves a relative unix socket path as it does pid_file', async () => {
    const config = await loadWith('pid_file: hs.pid\nlisteners:\n  - {path: run/synapse.sock, type: http}\n');
    expect(config.listeners).toEqual([{ path: join(dirname(config.pidFile!), 'run/synapse.sock'), http: true, client: false }]);
  });

  it('drops TLS listeners under no_tls, as Synapse does', async () => {
    const config = await loadWith('no_tls: true\nlisteners:\n  - {port: 8448, type: http, tls: true}\n  - {port: 8008, type: http}\n');
    expect(config.listeners.map((l) => ('port' in l ? l.port : l.path))).toEqual([8008]);
  });
});
