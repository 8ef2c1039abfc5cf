import { describe, expect, it } from 'vitest';
import type { DatabaseSettings } from '../../src/database/settings.js';
import { databaseSettingsFromConfig, databaseSettingsFromUrl, type OsUser } from '../../src/config/database-section.js';
import { describeDatabase } from '../../src/database/settings.js';
import { ConfigError, UsageError } from '../../src/errors.js';
import { parseSynapseYaml, type MergedConfig } from '../../src/config/yaml.js';

const FILE = '/etc/matrix-synapse/homeserver.yaml';
const CWD = '/var/lib/matrix-synapse';
const NO_ENV: NodeJS.ProcessEnv = {};

/** The account this process runs as, as getpwuid would report it. */
const OS_USER = (): OsUser => ({ username: 'matrix-synapse', homedir: '/var/lib/matrix-synapse' });

/** The top level of a homeserver.yaml, as the config loader hands it over. */
function fromYaml(yaml: string, env: NodeJS.ProcessEnv = NO_ENV, osUser = OS_USER) {
  const data = parseSynapseYaml(yaml, FILE) as Record<string, unknown>;
  const merged: MergedConfig = new Map(Object.entries(data).map(([k, value]) => [k, { value, file: FILE }]));
  return databaseSettingsFromConfig(merged, { env, cwd: CWD, files: [FILE], osUser });
}

function pg(yamlArgs: string, env: NodeJS.ProcessEnv = NO_ENV, osUser = OS_USER) {
  return fromYaml(`database:\n  name: psycopg2\n  args:\n${yamlArgs.replace(/^/gm, '    ')}\n`, env, osUser);
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('the database section', () => {
  it('reads sqlite3 and resolves a relative path against the cwd, with a warning', () => {
    const abs = fromYaml('database:\n  name: sqlite3\n  args:\n    database: /data/homeserver.db\n');
    expect(abs).toEqual({ settings: { engine: 'sqlite', path: '/data/homeserver.db' }, source: FILE, warnings: [] });
    const rel = fromYaml('database:\n  name: sqlite3\n  args:\n    database: homeserver.db\n');
    expect(rel.settings).toEqual({ engine: 'sqlite', path: `${CWD}/homeserver.db` });
    expect(rel.warnings.join('\n')).toMatch(/relative path homeserver\.db; Synapse resolves it against the directory it runs in/);
  });

  it('reads a missing name as sqlite3 and warns that Synapse itself fails on it', () => {
    const { settings, warnings } = fromYaml('database:\n  args:\n    database: /data/homeserver.db\n');
    expect(settings).toEqual({ engine: 'sqlite', path: '/data/homeserver.db' });
    expect(warnings.join('\n')).toMatch(/database\.name is missing .*KeyError 'name'/);
  });

  it.each([
    ['psycopg', /Unsupported database engine "psycopg" in database\.name \(\/etc\/matrix-synapse\/homeserver\.yaml\)/],
    ['postgresql', /Unsupported database engine "postgresql"/],
    ['null', /Unsupported database engine null/],
  ])('refuses the engine name %s, naming it and the file', (name, message) => {
    const err = thrown(() => fromYaml(`database:\n  name: ${name}\n  args: {}\n`));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(message);
  });

  it.each([
    ['database:\n  name: sqlite3\n  args: {}\n', /database\.args\.database .* must be the path/],
    ['database:\n  name: sqlite3\n  args:\n    database: ":memory:"\n', /":memory:".*nothing to change/],
    ['database:\n  name: psycopg2\n  args:\n', /database\.args .* must be a mapping/],
    ['database: [sqlite3]\n', /database in .* must be a mapping/],
    ['report_stats: true\n', /No database is configured in \/etc\/matrix-synapse\/homeserver\.yaml/],
    ['database: {}\n', /No database is configured/],
  ])('refuses %j', (yaml, message) => {
    const err = thrown(() => fromYaml(yaml));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(message);
  });

  it('refuses both database and databases, as Synapse does', () => {
    const err = thrown(() =>
      fromYaml('database:\n  name: sqlite3\n  args: {database: /a.db}\ndatabases:\n  main:\n    name: sqlite3\n    args: {database: /b.db}\n'),
    );
    expect(err.message).toMatch(/Both database .* and databases .* are set/);
  });

  it('reads the legacy database_path, and ignores it next to a database section', () => {
    expect(fromYaml('database_path: homeserver.db\n').settings).toEqual({ engine: 'sqlite', path: `${CWD}/homeserver.db` });
    const both = fromYaml('database_path: /old.db\ndatabase:\n  name: sqlite3\n  args: {database: /new.db}\n');
    expect(both.settings).toEqual({ engine: 'sqlite', path: '/new.db' });
    expect(both.warnings.join('\n')).toMatch(/database_path .* is ignored/);
    expect(thrown(() => fromYaml('database_path: /old.db\ndatabases:\n  one: {name: sqlite3, args: {database: /a.db}}\n')).message).toMatch(
      /database_path .* cannot be combined with databases/,
    );
  });
});

describe('the databases section', () => {
  it('picks the database whose data_stores hold main', () => {
    const { settings } = fromYaml(
      [
        'databases:',
        '  state_db:',
        '    name: psycopg2',
        '    data_stores: [state]',
        '    args: {host: state.db.test, dbname: state}',
        '  main_db:',
        '    name: psycopg2',
        '    data_stores: [main]',
        '    args: {host: main.db.test, dbname: synapse, user: synapse}',
        '',
      ].join('\n'),
    );
    expect(settings).toMatchObject({ engine: 'postgres', connection: { host: 'main.db.test', database: 'synapse' } });
  });

  it('holds every store, main included, when data_stores is left out', () => {
    const { settings } = fromYaml('databases:\n  only:\n    name: sqlite3\n    args: {database: /only.db}\n');
    expect(settings).toEqual({ engine: 'sqlite', path: '/only.db' });
  });

  it('refuses databases where none or two hold main', () => {
    expect(thrown(() => fromYaml('databases:\n  s: {name: sqlite3, data_stores: [state], args: {database: /s.db}}\n')).message).toMatch(
      /none of them lists "main"/,
    );
    expect(
      thrown(() => fromYaml('databases:\n  a: {name: sqlite3, args: {database: /a.db}}\n  b: {name: sqlite3, args: {database: /b.db}}\n'))
        .message,
    ).toMatch(/a and b all list "main"/);
  });

  it('checks the engine of every database, as Synapse does', () => {
    const yaml = 'databases:\n  m: {name: sqlite3, data_stores: [main], args: {database: /m.db}}\n  s: {name: mysql, data_stores: [state]}\n';
    expect(thrown(() => fromYaml(yaml)).message).toMatch(/"mysql" in databases\.s\.name/);
  });
});

describe('psycopg2 args', () => {
  it('reads every libpq keyword that matters and ignores pool settings', () => {
    const { settings, warnings } = pg(
      'user: synapse\npassword: s3cret\ndbname: synapse\nhost: db.test\nport: 5433\nsslmode: verify-full\n' +
        'sslrootcert: /etc/ssl/ca.pem\nsslcert: certs/client.pem\nsslkey: certs/client.key\nconnect_timeout: "7"\n' +
        'cp_min: 5\ncp_max: 10\ncp_reconnect: true\napplication_name: synapse\n',
    );
    expect(settings).toEqual({
      engine: 'postgres',
      connection: {
        host: 'db.test',
        port: 5433,
        user: 'synapse',
        password: 's3cret',
        database: 'synapse',
        sslmode: 'verify-full',
        sslrootcert: '/etc/ssl/ca.pem',
        sslcert: `${CWD}/certs/client.pem`,
        sslkey: `${CWD}/certs/client.key`,
        connectTimeoutSeconds: 7,
      },
    });
    expect(warnings).toEqual([]);
  });

  it.each([
    ['dbname: synapse', 'synapse'],
    ['database: synapse_db', 'synapse_db'],
  ])('reads the database name from %s', (arg, expected) => {
    expect(pg(`user: u\n${arg}`).settings).toMatchObject({ connection: { database: expected } });
  });

  it('refuses dbname and database together, as psycopg2 does', () => {
    expect(thrown(() => pg('dbname: a\ndatabase: b')).message).toMatch(/both dbname and database/);
  });

  it.each([
    ['port: "5433"', 5433],
    ['port: 5433', 5433],
  ])('reads %s', (arg, port) => {
    expect(pg(arg).settings).toMatchObject({ connection: { port } });
  });

  it.each(['port: abc', 'port: 70000', 'sslmode: maybe', 'connect_timeout: soon'])('refuses %s', (arg) => {
    expect(thrown(() => pg(arg))).toBeInstanceOf(ConfigError);
  });

  it('takes a host that is a directory as a unix socket', () => {
    const { settings } = pg('host: /run/postgresql\nuser: synapse\ndbname: synapse');
    expect(settings).toMatchObject({ connection: { host: '/run/postgresql' } });
    expect(describeDatabase(settings)).toBe('postgres synapse@/run/postgresql:5432/synapse (unix socket)');
  });

  it('warns about a keyword it does not use, naming the key but not the value', () => {
    const { warnings } = pg('target_session_attrs: "read-write"\nuser: u');
    expect(warnings.join('\n')).toMatch(/"target_session_attrs" is not used by this tool/);
    expect(warnings.join('\n')).not.toContain('read-write');
  });

  it('keeps options (search_path outside public), as psycopg2 hands them to libpq, and names them in messages', () => {
    const { settings, warnings } = pg('options: "-c search_path=matrix"\nuser: u\nhost: db.test');
    expect(warnings).toEqual([]);
    expect(settings).toMatchObject({ connection: { options: '-c search_path=matrix' } });
    expect(describeDatabase(settings)).toBe('postgres u@db.test:5432/u (options "-c search_path=matrix")');
  });

  it('takes options from PGOPTIONS when the args have none, and the args over PGOPTIONS', () => {
    expect(pg('user: u', { PGOPTIONS: '-c search_path=env' }).settings).toMatchObject({ connection: { options: '-c search_path=env' } });
    expect(pg('user: u\noptions: "-c search_path=args"', { PGOPTIONS: '-c search_path=env' }).settings).toMatchObject({
      connection: { options: '-c search_path=args' },
    });
  });

  it('warns about a password YAML may have changed, without showing it', () => {
    const { settings, warnings } = pg('password: 0777');
    expect(settings).toMatchObject({ connection: { password: '511' } });
    expect(warnings.join('\n')).toMatch(/password .* not a quoted string/);
    expect(warnings.join('\n')).not.toMatch(/0777|511/);
  });

  it('drops null args, as psycopg2 does', () => {
    expect(pg('host:\nuser: u', { PGHOST: 'env.db.test' }).settings).toMatchObject({ connection: { host: 'env.db.test' } });
  });

  it('reads sslrootcert "system" as the system CA store, not a file, and makes verify-full the default', () => {
    for (const [args, env] of [['sslrootcert: system', NO_ENV], ['sslmode: verify-full', { PGSSLROOTCERT: 'system' }]] as const) {
      expect(pg(`host: db.test\nuser: synapse\n${args}`, env).settings).toMatchObject({
        connection: { sslmode: 'verify-full', sslrootcert: 'system' },
      });
    }
  });

  it.each(['require', 'verify-ca', 'disable'])('refuses sslrootcert "system" with sslmode %s, as libpq does', (mode) => {
    const error = thrown(() => pg(`host: db.test\nsslrootcert: system\nsslmode: ${mode}`));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(new RegExp(`sslrootcert "system" .* needs sslmode verify-full, but sslmode is "${mode}"`));
  });

  it.each(['dsn: "host=db dbname=synapse"', 'service: synapse'])('refuses %s, which would hide the real target', (arg) => {
    expect(thrown(() => pg(arg)).message).toMatch(/cannot follow.*--database-url/);
  });
});

describe('libpq environment and defaults', () => {
  const ENV = {
    PGHOST: 'env.db.test',
    PGPORT: '6543',
    PGUSER: 'env_user',
    PGPASSWORD: 'env_pw',
    PGDATABASE: 'env_db',
    PGSSLMODE: 'require',
    PGSSLROOTCERT: 'ca.pem',
    PGCONNECT_TIMEOUT: '3',
    PGPASSFILE: '/root/.pgpass-synapse',
  };

  it('fills everything the args leave out from PG* variables', () => {
    expect(pg('cp_min: 1', ENV).settings).toEqual({
      engine: 'postgres',
      connection: {
        host: 'env.db.test',
        port: 6543,
        user: 'env_user',
        password: 'env_pw',
        database: 'env_db',
        sslmode: 'require',
        sslrootcert: `${CWD}/ca.pem`,
        connectTimeoutSeconds: 3,
        passfile: '/root/.pgpass-synapse',
      },
    });
  });

  it('lets the args win over the environment', () => {
    const { settings } = pg('host: db.test\nport: 5432\nuser: synapse\npassword: pw\ndbname: synapse\nsslmode: disable', ENV);
    expect(settings).toMatchObject({
      connection: { host: 'db.test', port: 5432, user: 'synapse', password: 'pw', database: 'synapse', sslmode: 'disable' },
    });
  });

  it("uses libpq's defaults: the socket directory, port 5432, the OS user, a database named after it, ~/.pgpass", () => {
    expect(pg('cp_min: 1', { HOME: '/home/admin' }).settings).toEqual({
      engine: 'postgres',
      connection: {
        host: '/var/run/postgresql',
        port: 5432,
        user: 'matrix-synapse',
        database: 'matrix-synapse',
        passfile: '/home/admin/.pgpass',
      },
    });
  });

  it('takes the OS user from the passwd entry, as libpq does, whatever $USER says or when it is unset', () => {
    for (const env of [NO_ENV, { USER: 'someone-else', LOGNAME: 'someone-else' }]) {
      expect(pg('cp_min: 1', env).settings).toMatchObject({
        connection: { user: 'matrix-synapse', database: 'matrix-synapse', passfile: '/var/lib/matrix-synapse/.pgpass' },
      });
    }
  });

  it('says what to set when the uid has no name, where libpq fails too', () => {
    const noName = () => {
      throw Object.assign(new Error('uv_os_get_passwd returned ENOENT'), { code: 'ERR_SYSTEM_ERROR' });
    };
    const error = thrown(() => pg('cp_min: 1', NO_ENV, noName));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/No database user is given .* Set database\.args\.user in the config, or PGUSER/);
    expect(pg('user: synapse', NO_ENV, noName).settings).toMatchObject({ connection: { user: 'synapse' } });
  });

  it('names $PGPORT when it is not a port', () => {
    expect(thrown(() => pg('user: u', { PGPORT: 'five' })).message).toMatch(/"five" \(\$PGPORT\)/);
  });
});

describe('--database-url', () => {
  const url = (u: string, env: NodeJS.ProcessEnv = NO_ENV) => databaseSettingsFromUrl(u, env, CWD).settings;

  it('reads a full postgresql:// URL, percent-decoding each part', () => {
    expect(url('postgresql://syn%40apse:p%40ss%2Fw+rd@db.test:5433/my%20db?sslmode=verify-ca&sslrootcert=%2Fetc%2Fca.pem')).toEqual({
      engine: 'postgres',
      connection: {
        host: 'db.test',
        port: 5433,
        user: 'syn@apse',
        password: 'p@ss/w+rd',
        database: 'my db',
        sslmode: 'verify-ca',
        sslrootcert: '/etc/ca.pem',
      },
    });
  });

  it.each([
    ['postgres://synapse@[::1]/synapse', { host: '::1', port: 5432 }],
    ['postgresql:///synapse?host=/run/postgresql', { host: '/run/postgresql', database: 'synapse' }],
    ['postgresql://%2Frun%2Fpostgresql/synapse', { host: '/run/postgresql', database: 'synapse' }],
    ['postgresql://synapse:pw@/synapse', { host: '/var/run/postgresql', user: 'synapse', password: 'pw' }],
    ['postgresql://db.test/synapse?port=6000&user=u&password=a+b', { port: 6000, user: 'u', password: 'a+b' }],
    ['postgresql://db.test/synapse?ssl=true', { sslmode: 'require' }],
    ['postgresql://u:pw@db.test/synapse?options=-c%20search_path%3Dmatrix', { options: '-c search_path=matrix' }],
    ['postgresql://u@db.test/synapse?passfile=%2Fetc%2Fpgpass', { passfile: '/etc/pgpass' }],
  ])('reads %s', (u, expected) => {
    expect(url(u)).toMatchObject({ engine: 'postgres', connection: expected });
  });

  it('fills what the URL leaves out from PG* variables', () => {
    expect(url('postgresql://db.test', { PGUSER: 'u', PGPASSWORD: 'pw', PGDATABASE: 'synapse' })).toMatchObject({
      connection: { host: 'db.test', user: 'u', password: 'pw', database: 'synapse' },
    });
  });

  it('takes anything else as an SQLite path, relative to the cwd', () => {
    expect(url('homeserver.db')).toEqual({ engine: 'sqlite', path: `${CWD}/homeserver.db` });
    expect(url('/data/homeserver.db')).toEqual({ engine: 'sqlite', path: '/data/homeserver.db' });
  });

  it.each([
    ['mysql://u:hunter2@db/synapse', /scheme "mysql"/],
    ['postgresql://u:hunter2@h1:1,h2:2/synapse', /not a valid PostgreSQL URL/],
    ['postgresql://u:hunter2@db/%E0%A4%A', /not a valid PostgreSQL URL/],
    ['', /empty/],
    [':memory:', /in-memory/],
  ])('refuses %j as a usage error that never shows the password', (u, message) => {
    const err = thrown(() => url(u));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('hunter2');
  });
});

describe('describeDatabase', () => {
  const cases: [DatabaseSettings, string][] = [
    [{ engine: 'sqlite', path: '/data/homeserver.db' }, 'sqlite /data/homeserver.db'],
    [
      { engine: 'postgres', connection: { host: 'db.test', port: 5432, user: 'synapse', password: 'hunter2', database: 'synapse' } },
      'postgres synapse@db.test:5432/synapse',
    ],
    [{ engine: 'postgres', connection: { host: '::1', port: 5433, user: 'hunter2-user', password: 'hunter2', database: 's' } }, 'postgres hunter2-user@[::1]:5433/s'],
  ];

  it.each(cases)('describes %j without the password', (settings, expected) => {
    expect(describeDatabase(settings)).toBe(expected);
  });

  it('never includes the password, whatever the URL held', () => {
    const { settings } = databaseSettingsFromUrl('postgresql://synapse:Tr0ub4dor%263@db.test/synapse', NO_ENV, CWD);
    expect(describeDatabase(settings)).not.toContain('Tr0ub4dor');
  });
});
