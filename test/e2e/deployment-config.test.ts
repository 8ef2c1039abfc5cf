// Configs as deployments write them: homeserver.yaml plus a conf.d/ directory, a pepper and
// bcrypt_rounds set, PostgreSQL over its unix socket with the `database` spelling or over TLS
// only; and passwords that only hash right with Synapse's NFKC and 72-byte rules.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eContext } from './harness/context.js';
import type { RunResult } from './harness/exec.js';
import { Homeserver, type HomeserverOptions } from './harness/homeserver.js';
import { getUser, login, loginToken } from './harness/http.js';
import { failedJson, okJson, toolOn } from './harness/tool.js';

const ctx = e2eContext();

const setups: HomeserverOptions[] = [
  { name: 'dep-pg', engine: 'postgres', pgVia: 'socket', split: true, pepper: 'pepper-ü-e2e', bcryptRounds: 5 },
  { name: 'dep-sqlite', engine: 'sqlite', split: true, pepper: 'another pepper', bcryptRounds: 4 },
];

// Decomposed é, the "fi" ligature, ROMAN NUMERAL TWELVE: NFKC turns it into "Café fix XII!".
const NFKC_PASSWORD = 'Cafe\u0301 \uFB01x \u216B!';
const NFKC_FORM = 'Café fix XII!';
// 71 ASCII bytes, then two-byte characters: Synapse's 72-byte cut falls inside the first é.
const LONG_PASSWORD = `${'p'.repeat(71)}éé-and-more-beyond-the-cut`;
const LONG_SAME_PREFIX = `${'p'.repeat(71)}é-something-else`;
const LONG_OTHER_PREFIX = `${'p'.repeat(70)}qéé-and-more-beyond-the-cut`;
// OHM SIGN, which NFKC maps to GREEK CAPITAL LETTER OMEGA.
const OHM_PASSWORD = 'Resistance-\u2126-42';

describe.each(setups)('deployment config: $name ($engine, split, pepper, bcrypt_rounds $bcryptRounds)', (options) => {
  let hs: Homeserver;
  let tool: ReturnType<typeof toolOn>;
  const r: Record<string, RunResult> = {};

  beforeAll(async () => {
    hs = await Homeserver.create(ctx, options);
    tool = toolOn(hs);
    await hs.start();
    // Synapse's own registration, under the same pepper, as the control.
    await hs.register('synref', 'Synref-pw-1', { admin: true });
    expect((await login(hs.baseUrl, 'synref', 'Synref-pw-1')).status).toBe(200);
    await hs.stop();

    const nfkcFile = path.join(hs.dir, 'nfkc.password');
    writeFileSync(nfkcFile, `${NFKC_PASSWORD}\n`);
    r.verbose = await tool(['--verbose', '--json', 'list-admins']);
    r.nfkc = await tool(['--json', 'register', 'nfkc', '--admin', '--password-file', nfkcFile]);
    r.long = await tool(['--json', 'register', 'longpw', '--no-admin', '--password-stdin'], { input: LONG_PASSWORD });
    r.ohm = await tool(['--json', 'set-password', 'synref', '--password-stdin'], { input: `${OHM_PASSWORD}\n` });
    await hs.start();
  });

  afterAll(async () => {
    await hs?.destroy();
  });

  it('reads every *.yaml of conf.d/ in order and ignores other files there', () => {
    const admins = okJson(r.verbose!).admins as { user_id: string }[];
    expect(admins.map((a) => a.user_id)).toEqual([hs.userId('synref')]);
    for (const file of ['homeserver.yaml', 'conf.d/10-listeners.yaml', 'conf.d/20-database.yaml', 'conf.d/30-passwords.yaml']) {
      expect(r.verbose!.stderr).toContain(path.join(hs.dir, file));
    }
    expect(r.verbose!.stderr).not.toContain('dpkg-old');
  });

  it('a password that needs NFKC logs in, as typed and in its normal form, with the pepper applied', async () => {
    okJson(r.nfkc!);
    const token = await loginToken(hs.baseUrl, 'nfkc', NFKC_PASSWORD);
    expect((await login(hs.baseUrl, 'nfkc', NFKC_FORM)).status).toBe(200);
    expect((await getUser(hs.baseUrl, token, hs.userId('synref'))).status).toBe(200);
  });

  it("a password past bcrypt's 72 bytes logs in; Synapse's own cut decides what else does", async () => {
    okJson(r.long!);
    expect((await login(hs.baseUrl, 'longpw', LONG_PASSWORD)).status).toBe(200);
    expect((await login(hs.baseUrl, 'longpw', LONG_SAME_PREFIX)).status).toBe(200);
    expect((await login(hs.baseUrl, 'longpw', LONG_OTHER_PREFIX)).status).toBe(403);
  });

  it("set-password on Synapse's own user: the new (NFKC) password logs in, the old one does not", async () => {
    okJson(r.ohm!);
    expect((await login(hs.baseUrl, 'synref', OHM_PASSWORD)).status).toBe(200);
    expect((await login(hs.baseUrl, 'synref', 'Resistance-\u03A9-42')).status).toBe(200);
    expect((await login(hs.baseUrl, 'synref', 'Synref-pw-1')).status).toBe(403);
  });

  it('hashes with the configured bcrypt_rounds', async () => {
    const hashes = await hs.withDb((db) =>
      db('users').whereIn('name', ['nfkc', 'longpw', 'synref'].map((l) => hs.userId(l))).pluck('password_hash'),
    );
    const cost = String(options.bcryptRounds).padStart(2, '0');
    expect(hashes).toHaveLength(3);
    for (const hash of hashes) expect(hash).toMatch(new RegExp(`^\\$2b\\$${cost}\\$`));
  });
});

// Managed PostgreSQL services let their users in over TLS only. The server here does the same for
// one role (pg_hba.conf: hostssl, and hostnossl reject), with a certificate naming 127.0.0.1 only.
describe('PostgreSQL that lets the role in over TLS only', () => {
  let hs: Homeserver;
  let tool: ReturnType<typeof toolOn>;

  beforeAll(async () => {
    hs = await Homeserver.create(ctx, { name: 'dep-tls', engine: 'postgres', pgVia: 'tls' });
    tool = toolOn(hs);
    await hs.start();
    await hs.register('synref', 'Synref-pw-1', { admin: true });
  });

  afterAll(async () => {
    await hs?.destroy();
  });

  it('with the config Synapse uses (sslmode verify-full and the CA) the tool registers an admin who logs in', async () => {
    const registered = await tool(['--json', 'register', 'tlsadm', '--admin', '--password-stdin'], { input: 'Tls-admin-pw-1' });
    expect(okJson(registered)).toMatchObject({ changed: true, user_id: hs.userId('tlsadm') });
    const token = await loginToken(hs.baseUrl, 'tlsadm', 'Tls-admin-pw-1');
    expect((await getUser(hs.baseUrl, token, hs.userId('synref'))).status).toBe(200);
    expect(okJson(await tool(['--json', 'check']))).toMatchObject({ synapse_running: true, engine: 'postgres', admins: 2 });
  });

  const { pg } = ctx;
  const url = (query: string, host = '127.0.0.1') =>
    `postgresql://${pg.tlsUser}:${pg.tlsPassword}@${host}:${pg.port}/${hs.dbName}${query}`;
  const tlsFailed = /TLS to PostgreSQL .* failed/;
  const cases: { what: string; query: string; host?: string; env?: NodeJS.ProcessEnv; code: number; message?: RegExp }[] = [
    { what: 'no sslmode (libpq\'s "prefer") encrypts', query: '', code: 0 },
    { what: 'require encrypts without checking the certificate', query: '?sslmode=require', code: 0 },
    { what: 'verify-full with the CA', query: `?sslmode=verify-full&sslrootcert=${pg.caFile}`, code: 0 },
    {
      what: 'verify-ca checks the CA, not the name',
      query: `?sslmode=verify-ca&sslrootcert=${pg.caFile}`, host: pg.unnamedAddress, code: 0,
    },
    {
      what: 'verify-full refuses a certificate that names another host',
      query: `?sslmode=verify-full&sslrootcert=${pg.caFile}`, host: pg.unnamedAddress, code: 4, message: tlsFailed,
    },
    {
      what: 'verify-full refuses a certificate from a CA it was not told to trust',
      query: `?sslmode=verify-full&sslrootcert=${pg.otherCaFile}`, code: 4, message: tlsFailed,
    },
    {
      what: 'require checks the chain, not the name, when given a root certificate, as libpq does',
      query: `?sslmode=require&sslrootcert=${pg.caFile}`, host: pg.unnamedAddress, code: 0,
    },
    {
      what: 'require with a root certificate from another CA is refused',
      query: `?sslmode=require&sslrootcert=${pg.otherCaFile}`, code: 4, message: tlsFailed,
    },
    {
      what: 'sslrootcert "system" trusts the system store, which lacks the test CA',
      query: '?sslrootcert=system', code: 4, message: tlsFailed,
    },
    {
      what: 'sslrootcert "system" connects once the store holds the test CA',
      query: '?sslrootcert=system', env: { NODE_EXTRA_CA_CERTS: pg.caFile }, code: 0,
    },
    {
      what: 'sslrootcert "system" with a weaker sslmode is refused before connecting',
      query: '?sslrootcert=system&sslmode=require', code: 3, message: /needs sslmode verify-full/,
    },
    {
      what: 'disable is refused by the server, and the tool says TLS is wanted',
      query: '?sslmode=disable', code: 4, message: /pg_hba\.conf.*sslmode/s,
    },
  ];
  it.each(cases)('--database-url: $what', async ({ query, host, env, code, message }) => {
    const result = await tool(['--json', '--database-url', url(query, host), 'list-admins'], { env });
    expect(result.stdout + result.stderr).not.toContain(pg.tlsPassword);
    if (code === 0) {
      const admins = okJson(result).admins as { user_id: string }[];
      expect(admins.map((a) => a.user_id)).toContain(hs.userId('synref'));
    } else {
      expect(failedJson(result, code).message).toMatch(message!);
    }
  });
});
