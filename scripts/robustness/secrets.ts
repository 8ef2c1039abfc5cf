// Secrets: every command, succeeding and failing, plain and with --verbose, --dry-run, --json,
// scanned for the password, the pepper, the database password, bcrypt hashes and tokens. Only
// issue-token may print a token: the one it made, on stdout.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { inPool, runTool, type Run } from './tool.js';
import { HS, SECRETS, type Db, type Engine, type World } from './world.js';

interface SecretCase {
  name: string;
  engines: readonly Engine[];
  args: (w: World, db: Db) => string[];
  input?: string;
  /** Config for the run; default: w.config(db). */
  config?: (w: World, db: Db) => string;
}

const BOTH = ['sqlite', 'postgres'] as const;
const PG = ['postgres'] as const;
const pw = SECRETS.password;

function pgArgs(db: Db) {
  return db.section.args as Record<string, unknown>;
}

/** A config written by hand, for YAML a serializer would quote. */
function rawConfig(w: World, name: string, text: string): string {
  const path = join(w.dir, `${name}.yaml`);
  writeFileSync(path, text);
  return path;
}

function pgYaml(db: Db, password: string, pepper = SECRETS.pepper): string {
  const a = pgArgs(db);
  return [
    `server_name: ${HS}`,
    'report_stats: false',
    'database:',
    '  name: psycopg2',
    '  args:',
    `    user: ${a.user}`,
    `    password: ${password}`,
    `    dbname: ${a.dbname}`,
    `    host: ${a.host}`,
    `    port: ${a.port}`,
    'password_config:',
    `  pepper: ${pepper}`,
    '',
  ].join('\n');
}

const CASES: SecretCase[] = [
  // Succeeding.
  { name: 'promote', engines: BOTH, args: () => ['promote', 'alice'] },
  { name: 'demote', engines: BOTH, args: () => ['demote', 'bob'] },
  { name: 'register --password-file', engines: BOTH, args: (w) => ['register', 'carol', '--no-admin', '--password-file', w.passwordFile] },
  { name: 'register --password-stdin', engines: BOTH, args: () => ['register', 'carol', '--no-admin', '--password-stdin'], input: `${pw}\n` },
  { name: 'register --password', engines: BOTH, args: () => ['register', 'carol', '--no-admin', '--password', pw] },
  { name: 'register --random-password', engines: BOTH, args: () => ['register', 'carol', '--no-admin', '--random-password'] },
  { name: 'register --exists-ok', engines: BOTH, args: () => ['register', 'alice', '--exists-ok', '--admin'] },
  { name: 'set-password', engines: BOTH, args: (w) => ['set-password', 'alice', '--password-file', w.passwordFile] },
  { name: 'set-password --logout', engines: BOTH, args: () => ['set-password', 'dave', '--logout', '--password-stdin'], input: pw },
  { name: 'set-password --reactivate', engines: BOTH, args: (w) => ['set-password', 'erin', '--reactivate', '--password-file', w.passwordFile] },
  { name: 'issue-token', engines: BOTH, args: () => ['issue-token', 'alice'] },
  { name: 'issue-token --device-id', engines: BOTH, args: () => ['issue-token', 'dave', '--device-id', 'DAVEPHONE', '--expires-in', 'never'] },
  { name: 'unlock', engines: BOTH, args: () => ['unlock', 'frank', '--unshadowban'] },
  { name: 'list-admins', engines: BOTH, args: () => ['list-admins'] },
  { name: 'check', engines: BOTH, args: () => ['check'] },
  {
    name: '--database-url with password',
    engines: PG,
    args: (_w, db) => {
      const a = pgArgs(db);
      return ['--database-url', `postgres://${a.user}:${a.password}@${a.host}:${a.port}/${a.dbname}`, 'promote', 'alice'];
    },
  },
  // Failing.
  { name: 'promote: no such user', engines: BOTH, args: () => ['promote', 'nobody'] },
  { name: 'register: exists', engines: BOTH, args: (w) => ['register', 'alice', '--no-admin', '--password-file', w.passwordFile] },
  { name: 'set-password: deactivated', engines: BOTH, args: (w) => ['set-password', 'erin', '--password-file', w.passwordFile] },
  { name: 'issue-token: locked', engines: BOTH, args: () => ['issue-token', 'frank'] },
  {
    name: 'set-password: policy refuses',
    engines: BOTH,
    args: () => ['set-password', 'alice', '--password-stdin'],
    input: pw,
    config: (w, db) => w.config(db, { password_config: { pepper: SECRETS.pepper, policy: { enabled: true, minimum_length: 64 } } }),
  },
  { name: 'set-password: password given as file', engines: BOTH, args: () => ['set-password', 'alice', '--password-file', pw] },
  { name: 'set-password: two sources', engines: BOTH, args: (w) => ['set-password', 'alice', '--password-file', w.passwordFile, '--password', pw] },
  { name: 'stray password argument', engines: BOTH, args: () => ['set-password', 'alice', pw] },
  {
    name: 'bcrypt_rounds quoted',
    engines: BOTH,
    args: (w) => ['set-password', 'alice', '--password-file', w.passwordFile],
    config: (w, db) => w.config(db, { bcrypt_rounds: '12' }),
  },
  {
    name: 'pepper starting with !',
    engines: BOTH,
    args: (w) => ['set-password', 'alice', '--password-file', w.passwordFile],
    config: (w, db) => rawConfig(w, `pepper-tag-${db.engine}`, stringify({ server_name: HS, report_stats: false, database: db.section }) + `password_config:\n  pepper: !${SECRETS.pepper}\n`),
  },
  {
    name: 'pepper starting with *',
    engines: BOTH,
    args: (w) => ['set-password', 'alice', '--password-file', w.passwordFile],
    config: (w, db) => rawConfig(w, `pepper-alias-${db.engine}`, stringify({ server_name: HS, report_stats: false, database: db.section }) + `password_config:\n  pepper: *${SECRETS.pepper}\n`),
  },
  { name: 'db password starting with *', engines: PG, args: () => ['promote', 'alice'], config: (w, db) => rawConfig(w, 'dbpw-alias', pgYaml(db, `*${SECRETS.dbPassword}`)) },
  { name: 'db password starting with |', engines: PG, args: () => ['promote', 'alice'], config: (w, db) => rawConfig(w, 'dbpw-block', pgYaml(db, `|${SECRETS.dbPassword}`)) },
  { name: 'wrong db password', engines: PG, args: () => ['promote', 'alice'], config: (w, db) => rawConfig(w, 'dbpw-wrong', pgYaml(db, `${SECRETS.dbPassword}x`)) },
  {
    name: 'db port closed',
    engines: PG,
    args: () => ['promote', 'alice'],
    config: (w, db) => w.config(db, { database: { ...db.section, args: { ...pgArgs(db), port: 1 } } }),
  },
  {
    name: '--database-url, port closed',
    engines: PG,
    args: (_w, db) => {
      const a = pgArgs(db);
      return ['--database-url', `postgres://${a.user}:${a.password}@${a.host}:1/${a.dbname}`, 'promote', 'alice'];
    },
  },
];

const HASH = /\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}/g;
const TOKEN = /sy[tr]_[A-Za-z0-9+/]+_[A-Za-z]{20}_[0-9A-Za-z]{6}/g;
const NAMED: Array<[string, string]> = [
  ['password', SECRETS.password],
  ['pepper', SECRETS.pepper],
  ['database password', SECRETS.dbPassword],
  ['old password', SECRETS.oldPassword],
  ['seeded token', SECRETS.seededTokens[0]!],
  ['seeded token', SECRETS.seededTokens[1]!],
  ['refresh token', SECRETS.seededRefreshToken],
];

/** What leaked in one run: secret names, with the stream. */
export function leaks(run: Run, issuesToken: boolean): string[] {
  const found: string[] = [];
  for (const [stream, text] of [['stdout', run.stdout], ['stderr', run.stderr]] as const) {
    for (const [what, value] of NAMED) if (text.includes(value)) found.push(`${what} on ${stream}`);
    if ((text.match(HASH) ?? []).length > 0) found.push(`bcrypt hash on ${stream}`);
    // The token issue-token made is its output; any other token, or any token on stderr, is a leak.
    const printed = issuesToken && run.code === 0 ? (/"access_token":"([^"]+)"/.exec(run.stdout)?.[1] ?? run.stdout.trim()) : undefined;
    const tokens = (text.match(TOKEN) ?? []).filter((t) => !(stream === 'stdout' && t === printed) && !NAMED.some(([, v]) => v === t));
    if (tokens.length > 0) found.push(`token on ${stream}`);
  }
  return found;
}

export interface SecretFigures {
  runs: number;
  failedRuns: number;
  leaks: string[];
}

export async function scanSecrets(w: World, flagSets: string[][], engines: readonly Engine[]): Promise<SecretFigures> {
  const jobs = CASES.flatMap((c) => c.engines.filter((e) => engines.includes(e)).flatMap((e) => flagSets.map((flags) => ({ c, e, flags }))));
  const results = await inPool(jobs, 2, async ({ c, e, flags }) => {
    const db = await w.fresh(e);
    const config = c.config ? c.config(w, db) : w.config(db);
    const run = await runTool(['-c', config, '--yes', ...flags, ...c.args(w, db)], { input: c.input, timeoutMs: 60_000 });
    const label = `${e} ${c.name} ${flags.join(' ') || '(plain)'}`;
    return { run, found: leaks(run, c.args(w, db)[0] === 'issue-token' || c.args(w, db).includes('issue-token')).map((l) => `${label}: ${l}`) };
  });
  return { runs: results.length, failedRuns: results.filter((r) => r.run.code !== 0).length, leaks: results.flatMap((r) => r.found) };
}
