// libpq's rules on their own, without Synapse's config around them: keywords over the PG*
// environment over libpq's defaults, URIs, sslmode values and their TLS options.
import { describe, expect, it } from 'vitest';
import { ConfigError, UsageError } from '../../src/errors.js';
import { libpqConnection, paramsFromUrl, type LibpqContext } from '../../src/libpq/settings.js';
import { prefersSslWithFallback, sslFor } from '../../src/libpq/tls.js';

const CTX: LibpqContext = { env: {}, cwd: '/srv', osUser: () => ({ username: 'synapse', homedir: '/home/synapse' }) };

function connect(params: Record<string, string>, ctx: Partial<LibpqContext> = {}) {
  const warnings: string[] = [];
  const connection = libpqConnection(params, 'test', { ...CTX, ...ctx }, warnings);
  return { connection, warnings };
}

describe('libpqConnection', () => {
  it("gives libpq's defaults: the Debian socket directory, 5432, the OS user and a database named after it, ~/.pgpass", () => {
    expect(connect({}).connection).toEqual({
      host: '/var/run/postgresql',
      port: 5432,
      user: 'synapse',
      database: 'synapse',
      passfile: '/home/synapse/.pgpass',
    });
  });

  it('takes a keyword over its PG* variable, and the variable over the default', () => {
    const env = { PGHOST: 'env.test', PGPORT: '6000', PGUSER: 'env_user', PGOPTIONS: '-c search_path=matrix' };
    expect(connect({ host: 'given.test' }, { env }).connection).toMatchObject({
      host: 'given.test',
      port: 6000,
      user: 'env_user',
      database: 'env_user',
      options: '-c search_path=matrix',
    });
  });

  it('resolves file names against the working directory and reads no passfile when a password is given', () => {
    const { connection } = connect({ password: 'pw', sslrootcert: 'ca.pem', sslcert: '/abs/cert.pem' });
    expect(connection).toMatchObject({ password: 'pw', sslrootcert: '/srv/ca.pem', sslcert: '/abs/cert.pem' });
    expect(connection.passfile).toBeUndefined();
  });

  it('warns about a keyword it does not use, and not about ones that change nothing', () => {
    const { warnings } = connect({ user: 'u', target_session_attrs: 'read-write', application_name: 'x' });
    expect(warnings).toEqual(['test: "target_session_attrs" is not used by this tool, which connects without it.']);
  });

  it('refuses an sslmode libpq does not know, and sslrootcert=system with a weaker sslmode', () => {
    expect(() => connect({ user: 'u', sslmode: 'on' })).toThrow(ConfigError);
    expect(() => connect({ user: 'u', sslmode: 'require', sslrootcert: 'system' })).toThrow(/needs sslmode verify-full/);
    expect(connect({ user: 'u', sslrootcert: 'system' }).connection).toMatchObject({ sslmode: 'verify-full', sslrootcert: 'system' });
  });

  it('refuses a port that is not one, naming where it came from', () => {
    expect(() => connect({ user: 'u' }, { env: { PGPORT: '70000' } })).toThrow(/"70000" \(\$PGPORT\)/);
  });
});

describe('paramsFromUrl', () => {
  it('percent-decodes every part and lets query parameters override them', () => {
    expect(paramsFromUrl('postgresql://us%40er:p%3Ass@db.test:5433/syn%2Fapse?sslmode=require&port=5434')).toEqual({
      user: 'us@er',
      password: 'p:ss',
      host: 'db.test',
      port: '5434',
      dbname: 'syn/apse',
      sslmode: 'require',
    });
  });

  it('reads a user with no host as the default socket, an IPv6 host without brackets, and "+" as itself', () => {
    expect(paramsFromUrl('postgresql://synapse@/synapse')).toEqual({ user: 'synapse', dbname: 'synapse' });
    expect(paramsFromUrl('postgresql://[::1]/db?options=-c+x')).toEqual({ host: '::1', dbname: 'db', options: '-c+x' });
  });

  it('takes ssl=true as sslmode=require, and refuses a parameter without "="', () => {
    expect(paramsFromUrl('postgres://h/db?ssl=true')).toMatchObject({ sslmode: 'require' });
    expect(() => paramsFromUrl('postgres://h/db?sslmode')).toThrow(UsageError);
  });
});

describe('sslmode as TLS options', () => {
  it('never uses TLS on a unix socket or with disable, and falls back to plain only for allow and prefer', () => {
    expect(sslFor({ host: '/var/run/postgresql', sslmode: 'require' })).toBe(false);
    expect(sslFor({ host: 'db.test', sslmode: 'disable' })).toBe(false);
    expect(['allow', 'prefer', undefined].map((sslmode) => prefersSslWithFallback({ host: 'db.test', sslmode }))).toEqual([true, true, true]);
    expect(prefersSslWithFallback({ host: 'db.test', sslmode: 'require' })).toBe(false);
  });

  it('checks nothing for require without a root certificate, and the name as well as the chain for verify-full', () => {
    expect(sslFor({ host: 'db.test', sslmode: 'require' })).toEqual({ rejectUnauthorized: false });
    expect(sslFor({ host: 'db.test', sslmode: 'verify-full', sslrootcert: 'system' })).toEqual({ rejectUnauthorized: true });
  });

  it('names a certificate file it cannot read', () => {
    expect(() => sslFor({ host: 'db.test', sslmode: 'verify-ca', sslrootcert: '/nonexistent/ca.pem' })).toThrow(/Cannot read sslrootcert \/nonexistent\/ca.pem/);
  });
});
