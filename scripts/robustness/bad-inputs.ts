// Bad inputs, by class (from issue 7): each run on a fresh copy of the seeded database, which must
// be unchanged afterwards. A refusal is exit 2 (usage), 3 (config) or 4 (database); exit 1 means
// the tool treated a user's mistake as its own bug.
import { execFileSync } from 'node:child_process';
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { databaseUrl, withAdmin } from '../../test/helpers/postgres.js';
import { histogram } from './races.js';
import { changedTables, snapshot } from './state.js';
import { firstMessage, inPool, outcome, runTool } from './tool.js';
import { HS, SECRETS, type Db, type Engine, type World } from './world.js';

interface Ports {
  http: number;
  silent: number;
}

interface BadInput {
  cls: string;
  name: string;
  engines?: readonly Engine[];
  /** Arguments after the global -c CONFIG --yes. */
  args: (w: World) => string[];
  input?: string;
  /** A file given to the tool as its stdin (/dev/zero). */
  stdinFile?: string;
  config?: (w: World, db: Db, ports: Ports) => string | Promise<string>;
  env?: Record<string, string>;
  /** Text the run must not print (a secret typed into the wrong key, a value too long to echo). */
  mustNotPrint?: string[];
  /** Patience beyond the run's usual (a FIFO is waited on for 30 s). */
  timeoutMs?: number;
  /** Its time goes into the notes, so that the figure stays measured. */
  timed?: true;
}

export interface BadInputRow {
  cls: string;
  tried: number;
  exits: Record<string, number>;
  changed: number;
  exit1: number;
  /** Runs that printed what they must not, or more than MAX_OUTPUT bytes. */
  echoed: number;
  notes: string[];
}

// Every refusal fits on a screen or two: a run that prints more lists what it should have counted.
const MAX_OUTPUT = 64 * 1024;

const register = (w: World, user = 'carol') => ['register', user, '--no-admin', '--password-file', w.passwordFile];

/** A config file with exactly this text (for YAML a serializer would never write). */
function file(w: World, name: string, content: string | Buffer): string {
  const path = join(w.dir, `bad-${name}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, content);
  return path;
}

/** A sparse file of `size` bytes: reads as zeros, takes no disk. */
function sparse(w: World, size: number): string {
  const path = join(w.dir, `sparse-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, '');
  truncateSync(path, size);
  return path;
}

/** A named pipe that nothing writes to. */
function fifo(w: World): string {
  const path = join(w.dir, `fifo-${Math.random().toString(36).slice(2)}`);
  execFileSync('mkfifo', [path]);
  return path;
}

function applyFile(w: World, content: Record<string, unknown>): string {
  return file(w, 'apply', stringify(content));
}

// A real bcrypt hash's salt and hash parts (of no password worth knowing).
const REAL_SALT = 'abcdefghijklmnopqrstuu';
const REAL_DIGEST = '5Hs0pMEYh6gbldvQ3d6cTdiEW4nUAMW';

const usual = (db: Db, extra: Record<string, unknown> = {}) =>
  stringify({ server_name: HS, report_stats: false, database: db.section, bcrypt_rounds: 4, password_config: { pepper: SECRETS.pepper }, ...extra });

function pgWith(db: Db, args: Record<string, unknown>): Record<string, unknown> {
  const section = db.section as { args: Record<string, unknown> };
  return { name: 'psycopg2', args: { ...section.args, ...args } };
}

/** A role on `db` that may log in; `grants` says what else it may do. */
async function role(w: World, db: Db, name: string, grants: string[]): Promise<Record<string, unknown>> {
  const dbname = (db.section as { args: { dbname: string } }).args.dbname;
  const user = `${dbname}_${name}`;
  await withAdmin(databaseUrl(w.pg.adminUrl, dbname), async (c) => {
    await c.query(`CREATE ROLE ${user} LOGIN PASSWORD '${SECRETS.dbPassword}'`);
    for (const g of grants) await c.query(g.replaceAll('$ROLE', user));
  });
  return { user, password: SECRETS.dbPassword };
}

const ids = ['', '@', '@:figures.test', '@carol:figures.test ', ' carol', 'carol ', 'carol\t', 'Carol', '@carol', 'carol:figures.test',
  '@carol:other.test', '@carol:figures.test:8448', 'ca rol', 'ca#rol', 'ca\nrol', 'c'.repeat(300), '12345', 'cärol', '@@carol:figures.test'];

const INPUTS: BadInput[] = [
  ...ids.map((id): BadInput => ({ cls: 'user IDs', name: JSON.stringify(id), args: (w) => register(w, id) })),
  ...['alice ', '@alice:figures.test ', '@alice:other.test', '@alice', 'alice\n'].map(
    (id): BadInput => ({ cls: 'user IDs', name: `promote ${JSON.stringify(id)}`, args: () => ['promote', id] }),
  ),

  // Each spelling is applied to a user already in the state it asks for, so reading it right, or
  // refusing it, changes nothing; reading it wrong (e.g. True as false) demotes or promotes.
  ...['False', 'FALSE', 'no', '0', 'off'].map((v): BadInput => ({ cls: 'booleans', name: `--admin=${v} on a non-admin`, args: () => ['register', 'alice', '--exists-ok', `--admin=${v}`] })),
  ...['True', 'TRUE', 'yes', '1', 'on', 'maybe', '2', '', 'truee'].map((v): BadInput => ({ cls: 'booleans', name: `--admin=${v} on an admin`, args: () => ['register', 'bob', '--exists-ok', `--admin=${v}`] })),
  { cls: 'booleans', name: '--no-admin=false on an admin', args: () => ['register', 'bob', '--exists-ok', '--no-admin=false'] },
  { cls: 'booleans', name: '--admin --no-admin on an admin', args: () => ['register', 'bob', '--exists-ok', '--admin', '--no-admin'] },
  ...['True', 'yes', '1', 'on', 'maybe'].map((v): BadInput => ({ cls: 'booleans', name: `promote --dry-run=${v}`, args: () => ['promote', 'alice', `--dry-run=${v}`] })),
  { cls: 'booleans', name: 'set-password --logout=maybe', args: (w) => ['set-password', 'dave', '--password-file', w.passwordFile, '--logout=maybe'] },

  ...['0', '0s', '-1h', 'abc', '', '1y', '36501d', '99999999999w'].map(
    (v): BadInput => ({ cls: 'option values', name: `--expires-in ${JSON.stringify(v)}`, args: () => ['issue-token', 'alice', '--expires-in', v] }),
  ),
  ...['', 'D'.repeat(600), 'a\nb', 'a\u0007b'].map(
    (v): BadInput => ({ cls: 'option values', name: `--device-id ${JSON.stringify(v.slice(0, 12))} (${v.length})`, args: () => ['issue-token', 'alice', '--device-id', v] }),
  ),
  ...['x'.repeat(100_000), 'x'.repeat(257), 'a\u0007b', 'a\nb'].map(
    (v): BadInput => ({ cls: 'option values', name: `--displayname ${JSON.stringify(v.slice(0, 12))} (${v.length} chars)`, args: (w) => [...register(w), '--displayname', v] }),
  ),
  { cls: 'option values', name: '--user-type nope', args: (w) => [...register(w), '--user-type', 'nope'] },
  { cls: 'option values', name: 'register --admin --no-admin', args: (w) => ['register', 'carol', '--admin', '--no-admin', '--password-file', w.passwordFile] },
  { cls: 'option values', name: 'promote alice -c (no value)', args: () => ['promote', 'alice', '-c'] },
  { cls: 'option values', name: 'unknown option', args: () => ['promote', 'alice', '--frobnicate'] },
  { cls: 'option values', name: 'no command', args: () => [] },
  { cls: 'option values', name: 'unknown command', args: () => ['promot', 'alice'] },

  ...(
    [
      ['tab after key:', (db: Db) => usual(db).replace('bcrypt_rounds: 4', 'bcrypt_rounds:\t4')],
      ['trailing tab', (db: Db) => usual(db).replace('bcrypt_rounds: 4', 'bcrypt_rounds: 4\t')],
      ['invalid UTF-8', (db: Db) => Buffer.concat([Buffer.from(usual(db)), Buffer.from([0x23, 0x20, 0xff, 0xfe, 0x0a])])],
      ['NUL byte', (db: Db) => `${usual(db)}# \u0000\n`],
      ['alias bomb', (db: Db) => `${usual(db)}a: &a ["x","x","x","x","x","x","x","x","x"]\n${'bcdefghij'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghij'[i]}`).join(',')}]`).join('\n')}\n`],
      ['unresolved alias', (db: Db) => `${usual(db)}macaroon_secret_key: *nope\n`],
      ['bcrypt_rounds "12" (quoted)', (db: Db) => usual(db, { bcrypt_rounds: '12' })],
      ['server_name of another server', (db: Db) => usual(db, { server_name: 'other.test' })],
      ['no database section', () => stringify({ server_name: HS, report_stats: false })],
      ['unknown engine', (db: Db) => usual(db, { database: { name: 'mysql', args: {} } })],
      ['empty file', () => ''],
      ['a list, not a mapping', () => '- server_name\n- figures.test\n'],
    ] as Array<[string, (db: Db) => string | Buffer]>
  ).map(([name, text]): BadInput => ({ cls: 'configs', name, args: (w) => register(w), config: (w, db) => file(w, 'config', text(db)) })),
  { cls: 'configs', name: 'config file missing', args: (w) => register(w), config: (w) => join(w.dir, 'no-such.yaml') },
  {
    cls: 'configs',
    name: 'empty config directory',
    args: (w) => register(w),
    config: (w) => {
      const dir = join(w.dir, `empty-conf-${Math.random().toString(36).slice(2)}`);
      mkdirSync(dir);
      return dir;
    },
  },

  ...applyFiles(),

  { cls: 'password sources', name: '--password-file missing', args: () => ['register', 'carol', '--no-admin', '--password-file', '/nonexistent/pw'] },
  { cls: 'password sources', name: '--password-file a directory', args: (w) => ['register', 'carol', '--no-admin', '--password-file', w.dir] },
  { cls: 'password sources', name: '--password-file empty', args: (w) => ['register', 'carol', '--no-admin', '--password-file', file(w, 'pw', '')] },
  { cls: 'password sources', name: '--password-file whitespace only', args: (w) => ['register', 'carol', '--no-admin', '--password-file', file(w, 'pw', ' \t\n')] },
  { cls: 'password sources', name: '--password-file <the password>', args: () => ['register', 'carol', '--no-admin', '--password-file', 'MyS3cret!'] },
  { cls: 'password sources', name: '--password-stdin, empty stdin', args: () => ['register', 'carol', '--no-admin', '--password-stdin'], input: '' },
  { cls: 'password sources', name: "--password ''", args: () => ['register', 'carol', '--no-admin', '--password', ''] },
  { cls: 'password sources', name: 'two sources', args: (w) => [...register(w), '--password-stdin'], input: SECRETS.password },
  { cls: 'password sources', name: 'no source, not a terminal', args: () => ['register', 'carol', '--no-admin'] },
  {
    cls: 'password sources',
    name: 'policy refuses',
    args: (w) => register(w),
    config: (w, db) => file(w, 'policy', usual(db, { password_config: { pepper: SECRETS.pepper, policy: { enabled: true, minimum_length: 64 } } })),
  },
  { cls: 'password sources', name: 'set-password, deactivated user', args: (w) => ['set-password', 'erin', '--password-file', w.passwordFile] },

  // Issue 16: files that are not password files. Each must be refused (exit 2) quickly, by its
  // real reason, and not grow the process until the kernel kills it.
  { cls: 'hostile password files', name: '--password-file /dev/zero', timed: true, args: () => ['register', 'carol', '--no-admin', '--password-file', '/dev/zero'] },
  { cls: 'hostile password files', name: '--password-stdin < /dev/zero', timed: true, stdinFile: '/dev/zero', args: () => ['register', 'carol', '--no-admin', '--password-stdin'] },
  { cls: 'hostile password files', name: '--password-file, 1 GiB (sparse)', timed: true, args: (w) => ['register', 'carol', '--no-admin', '--password-file', sparse(w, 2 ** 30)] },
  { cls: 'hostile password files', name: '--password-file, a FIFO nobody writes', timed: true, timeoutMs: 60_000, args: (w) => ['register', 'carol', '--no-admin', '--password-file', fifo(w)] },
  {
    cls: 'hostile password files',
    name: '--password-file, 60,000 inner spaces',
    timed: true,
    args: (w) => ['register', 'carol', '--no-admin', '--password-file', file(w, 'pw', `a${' '.repeat(60_000)}b\n`)],
  },
  { cls: 'hostile password files', name: '--password-stdin, 200,000 inner spaces', timed: true, input: `a${' '.repeat(200_000)}b\n`, args: () => ['register', 'carol', '--no-admin', '--password-stdin'] },
  { cls: 'hostile password files', name: 'apply, password_file: /dev/zero', timed: true, args: (w) => ['apply', applyFile(w, { users: [{ user: 'carol', password_file: '/dev/zero' }] })] },
  { cls: 'hostile password files', name: 'apply - < /dev/zero', timed: true, stdinFile: '/dev/zero', args: () => ['apply', '-'] },
  { cls: 'hostile password files', name: 'apply /dev/zero', timed: true, args: () => ['apply', '/dev/zero'] },

  // Issue 16: hashes Synapse's bcrypt cannot check (HTTP 500 at login) or would check for hours,
  // for the only admin a file keeps under admins: exclusive; applied, they would demote every
  // admin who can log in.
  ...(
    [
      ['a salt bcrypt cannot decode', `$2b$04$${'z'.repeat(53)}`],
      ['a salt with stray bits', `$2b$04$${REAL_SALT.slice(0, 21)}v${REAL_DIGEST}`],
      ['a hash part bcrypt never writes', `$2b$04$${REAL_SALT}${REAL_DIGEST.slice(0, 30)}z`],
      ['cost 31', `$2b$31$${REAL_SALT}${REAL_DIGEST}`],
      ['cost 17 (above the limit of 16)', `$2b$17$${REAL_SALT}${REAL_DIGEST}`],
      ['cost 03', `$2b$03$${REAL_SALT}${REAL_DIGEST}`],
      ['$2x$', `$2x$04$${REAL_SALT}${REAL_DIGEST}`],
      ['an argon2id hash', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g'],
    ] as Array<[string, string]>
  ).map(
    ([name, hash]): BadInput => ({
      cls: 'password hashes',
      name: `apply, exclusive, only admin's hash has ${name}`,
      args: (w) => ['apply', applyFile(w, { admins: 'exclusive', users: [{ user: 'carol', admin: true, password_hash: hash }] })],
    }),
  ),

  ...(
    [
      ['wrong password', async (_w: World, db: Db) => pgWith(db, { password: 'wrong' })],
      ['no password anywhere', async (_w: World, db: Db) => pgWith(db, { password: undefined })],
      ['port closed', async (_w: World, db: Db) => pgWith(db, { port: 1 })],
      ['port speaks HTTP', async (_w: World, db: Db, p: Ports) => pgWith(db, { port: p.http })],
      ['port accepts, never answers', async (_w: World, db: Db, p: Ports) => pgWith(db, { port: p.silent })],
      ['no such database', async (_w: World, db: Db) => pgWith(db, { dbname: 'no_such_database' })],
      ['role may only SELECT', async (w: World, db: Db) => pgWith(db, await role(w, db, 'ro', ['GRANT SELECT ON ALL TABLES IN SCHEMA public TO $ROLE']))],
      [
        'read-only transactions (like a standby)',
        async (w: World, db: Db) =>
          pgWith(db, await role(w, db, 'standby', ['GRANT ALL ON ALL TABLES IN SCHEMA public TO $ROLE', 'ALTER ROLE $ROLE SET default_transaction_read_only = on'])),
      ],
    ] as Array<[string, (w: World, db: Db, p: Ports) => Promise<Record<string, unknown>>]>
  ).map(
    ([name, section]): BadInput => ({
      cls: 'database',
      name: `postgres: ${name}`,
      engines: ['postgres'],
      args: () => ['promote', 'alice'],
      config: async (w, db, p) => file(w, 'db', usual(db, { database: await section(w, db, p) })),
    }),
  ),
  ...(
    [
      ['file missing', (w: World) => join(w.dir, 'missing.db')],
      ['a directory', (w: World) => w.dir],
      ['a text file', (w: World) => file(w, 'text', 'hello\n')],
      ['an empty file', (w: World) => file(w, 'empty', '')],
    ] as Array<[string, (w: World) => string]>
  ).map(
    ([name, path]): BadInput => ({
      cls: 'database',
      name: `sqlite: ${name}`,
      engines: ['sqlite'],
      args: () => ['promote', 'alice'],
      config: (w, db) => file(w, 'db', usual(db, { database: { name: 'sqlite3', args: { database: path(w) } } })),
    }),
  ),
];

/** Issue 16: apply files, held to the config files' rules; each is refused and changes nothing. */
function applyFiles(): BadInput[] {
  const apply = (name: string, content: string | Buffer, extra: Partial<BadInput> = {}): BadInput => ({
    cls: 'apply files',
    name,
    args: (w) => ['apply', file(w, 'apply', content)],
    ...extra,
  });
  const secret = 'Tr0ub4dor-S3cret';
  const secretFile = `users:\n  - {user: carol, random_password: "${secret}"}\n  - {user: dave, password_file: 918273645}\n  - {user: erin, password_hash: 5647382910}\n`;
  const hidden = [secret, '918273645', '5647382910'];
  // With a space at the end: refused for the space by a check that once quoted the whole ID.
  const longId = `${'x'.repeat(10 * 1024 * 1024)} `;
  return [
    apply('Latin-1 displayname', Buffer.from('users:\n  - {user: carol, random_password: true, displayname: J\u00fcrgen M\u00fcller}\n', 'latin1')),
    apply('UTF-16 with a BOM', Buffer.from('\uFEFFusers:\n  - {user: carol, random_password: true}\n', 'utf16le')),
    apply('UTF-16 without a BOM', Buffer.from('users:\n  - {user: carol, random_password: true}\n', 'utf16le')),
    apply('UTF-32 with a BOM', Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), ...[...'users: []\n'].map((c) => Buffer.from([c.charCodeAt(0), 0, 0, 0]))])),
    apply('secrets under password keys', secretFile, { mustNotPrint: hidden }),
    { ...apply('secrets under password keys, --json', secretFile, { mustNotPrint: hidden }), args: (w) => ['--json', 'apply', file(w, 'apply', secretFile)] },
    apply('unknown tag (user: !secret carol)', 'users:\n  - user: !secret carol\n    random_password: true\n'),
    apply('alias without anchor', 'users:\n  - user: *carol\n    random_password: true\n'),
    apply('nested 20,000 deep', `users: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`),
    apply('two documents', 'users: []\n---\nusers:\n  - {user: carol, random_password: true}\n'),
    apply('10 MB user id', `users:\n  - {user: "${longId}", random_password: true}\n`, { mustNotPrint: ['x'.repeat(1000)] }),
    apply('20,000 bad entries', `users:\n${Array.from({ length: 20_000 }, (_, i) => `  - {user: u${i}, admin: maybe}`).join('\n')}\n`),
    // An admins: exclusive file cut after its third line: bob (an admin) is no longer listed.
    {
      cls: 'apply files',
      name: 'stdin cut at a line boundary, admins: exclusive',
      args: () => ['apply', '-'],
      input: 'admins: exclusive\nusers:\n  - {user: admin, admin: true}\n',
    },
  ];
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** `engines`: where the engine-independent inputs run; each engine's own database failures always run. */
export async function badInputs(w: World, engines: readonly Engine[], timeoutMs: number, onlyClass?: string): Promise<BadInputRow[]> {
  const http = createHttpServer((_req, res) => res.end('ok'));
  const silent = createTcpServer(() => {});
  const ports = { http: await listen(http), silent: await listen(silent) };
  try {
    const inputs = INPUTS.filter((i) => onlyClass === undefined || i.cls === onlyClass);
    const jobs = inputs.flatMap((input) => (input.engines ?? engines).map((engine) => ({ input, engine })));
    // Database failures mostly wait on timeouts, so they may overlap more than CPU-bound runs.
    const results = await inPool(jobs, 4, async ({ input, engine }) => {
      const db = await w.fresh(engine);
      const before = await snapshot(db);
      const config = input.config ? await input.config(w, db, ports) : w.config(db);
      const cwd = join(w.dir, 'cwd');
      mkdirSync(cwd, { recursive: true });
      const run = await runTool(['-c', config, '--yes', ...input.args(w)], {
        input: input.input,
        stdinFile: input.stdinFile,
        env: input.env,
        cwd,
        timeoutMs: Math.max(timeoutMs, input.timeoutMs ?? 0),
      });
      const changed = changedTables(before, await snapshot(db));
      return { input, engine, run, changed };
    });
    const rows = new Map<string, BadInputRow>();
    for (const { input, engine, run, changed } of results) {
      const row = rows.get(input.cls) ?? { cls: input.cls, tried: 0, exits: {}, changed: 0, exit1: 0, echoed: 0, notes: [] };
      rows.set(input.cls, row);
      row.tried += 1;
      row.exits = histogram([...Object.entries(row.exits).flatMap(([k, n]) => Array(n).fill(k)), outcome(run)]);
      const label = `${engine} ${input.name}: exit ${outcome(run)}`;
      if (changed.length > 0) {
        row.changed += 1;
        row.notes.push(`${label}, changed ${changed.join(', ')}`);
      }
      const printed = run.stdout + run.stderr;
      const echoed = (input.mustNotPrint ?? []).filter((t) => printed.includes(t));
      if (echoed.length > 0 || printed.length > MAX_OUTPUT) {
        row.echoed += 1;
        row.notes.push(`${label}: printed ${echoed.length > 0 ? `what it must not (${echoed.map((t) => t.slice(0, 20)).join(', ')})` : `${printed.length} bytes`}`);
      }
      if (input.timed && !run.timedOut && run.code !== 1) row.notes.push(`${label} in ${(run.ms / 1000).toFixed(2)} s: ${firstMessage(run).slice(0, 120)}`);
      if (run.code === 1 || run.timedOut) {
        if (run.code === 1) row.exit1 += 1;
        row.notes.push(`${label} after ${(run.ms / 1000).toFixed(1)} s: ${firstMessage(run)}`);
      }
    }
    return [...rows.values()];
  } finally {
    http.close();
    silent.close();
  }
}
