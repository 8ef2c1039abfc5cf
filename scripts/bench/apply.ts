// apply's budgets (issue 11): N new users at cost c against N x one hash / cores, measured in the
// same run, on SQLite and PostgreSQL; the re-run that checks every hash and writes nothing; and
// how the time grows with N and with the size of the users table (no step may scan it per user).
// apply runs in this process through runCli, as the CLI would, without Node's start-up (measured
// apart by the start-up rows).
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import knexFactory, { type Knex } from 'knex';
import { migrateTo } from '../../migrations/synapse/index.js';
import { runCli } from '../../src/cli.js';
import { hashPassword } from '../../src/synapse/password.js';
import { startEmbedded, type Server } from '../../test/setup/postgres.js';
import { createDatabaseSql, databaseUrl, dropDatabaseSql, withAdmin } from '../../test/helpers/postgres.js';
import type { BenchContext, BenchRow } from './types.js';

const SERVER = 'bench.test';
const RUNS = 3;
const BUDGET = 1.15;

type Engine = 'sqlite' | 'postgres';

interface Database {
  knex: Knex;
  /** The `database` section of homeserver.yaml. */
  section: string;
  drop(): Promise<void>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** One bcrypt hash at `cost`, the median of several, sequential (one core). */
async function oneHash(cost: number, runs: number): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push(await timed(() => hashPassword(`pw-${i}`, { pepper: '', bcryptRounds: cost })));
  return median(ms);
}

async function newDatabase(engine: Engine, dir: string, pg: () => Promise<Server>): Promise<Database> {
  if (engine === 'sqlite') {
    const path = join(dir, `${randomBytes(4).toString('hex')}.db`);
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: path }, useNullAsDefault: true });
    await migrateTo(knex, 94);
    return { knex, section: `database:\n  name: sqlite3\n  args:\n    database: ${path}\n`, drop: () => knex.destroy() };
  }
  const server = await pg();
  const name = `sab_bench_${randomBytes(4).toString('hex')}`;
  await withAdmin(server.adminUrl, (c) => c.query(createDatabaseSql(name)));
  const url = new URL(databaseUrl(server.adminUrl, name));
  const knex = knexFactory({ client: 'pg', connection: url.toString(), pool: { min: 0, max: 2 } });
  await migrateTo(knex, 94);
  const { hostname, port, username, password } = url;
  return {
    knex,
    section: `database:\n  name: psycopg2\n  args: {host: ${hostname}, port: ${port}, user: ${username}, password: "${decodeURIComponent(password)}", dbname: ${name}}\n`,
    drop: async () => {
      await knex.destroy();
      await withAdmin(server.adminUrl, (c) => c.query(dropDatabaseSql(name)));
    },
  };
}

/** `count` users (and their profiles) already there, as a server that has run for a while has. */
async function seedUsers(db: Knex, count: number): Promise<void> {
  const rows = Array.from({ length: count }, (_, i) => i);
  for (let i = 0; i < rows.length; i += 400) {
    const slice = rows.slice(i, i + 400);
    await db('users').insert(slice.map((n) => ({ name: `@old${n}:${SERVER}`, password_hash: null, creation_ts: 1_700_000_000, admin: n === 0 ? 1 : 0, is_guest: 0, deactivated: 0 })));
    await db('profiles').insert(slice.map((n) => ({ user_id: `old${n}`, full_user_id: `@old${n}:${SERVER}`, displayname: `old${n}` })));
  }
}

/** An apply file of `n` new users with password files, and the two ways to apply it. */
async function applyFiles(dir: string, n: number): Promise<{ create: string; always: string }> {
  await mkdir(dir, { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const pw = join(dir, `pw${i}`);
    await writeFile(pw, `password-${i}-${randomBytes(6).toString('hex')}`);
    lines.push(`  - {user: new${i}, admin: ${i === 0}, password_file: ${pw}}`);
  }
  const users = `users:\n${lines.join('\n')}\n`;
  await writeFile(join(dir, 'create.yaml'), users);
  await writeFile(join(dir, 'always.yaml'), `update_password: always\n${users}`);
  return { create: join(dir, 'create.yaml'), always: join(dir, 'always.yaml') };
}

async function apply(config: string, file: string): Promise<Record<string, unknown>> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  const code = await runCli(['-c', config, '--json', 'apply', file], {
    stdin: Readable.from([]),
    stdout,
    stderr: new PassThrough(),
    env: process.env,
    cwd: process.cwd(),
    now: () => Date.now(),
    randomBytes,
  });
  const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  if (code !== 0) throw new Error(`apply failed: ${JSON.stringify(json.error)}`);
  return json;
}

interface Setup {
  config: string;
  db: Database;
}

async function withServer(engine: Engine, cost: number, seeded: number, dir: string, pg: () => Promise<Server>, fn: (s: Setup) => Promise<void>) {
  const db = await newDatabase(engine, dir, pg);
  try {
    await seedUsers(db.knex, seeded);
    const config = join(dir, `${randomBytes(4).toString('hex')}.yaml`);
    await writeFile(config, `server_name: ${SERVER}\nreport_stats: false\nbcrypt_rounds: ${cost}\n${db.section}`);
    await fn({ config, db });
  } finally {
    await db.drop();
  }
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const cores = availableParallelism();
  const rows: BenchRow[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'sab-bench-apply-'));
  let server: Promise<Server> | undefined;
  const pg = () => (server ??= startEmbedded());
  try {
    const n = 200;
    const files = await applyFiles(dir, n);
    for (const engine of ['sqlite', 'postgres'] as const) {
      // The reference is taken right before each run, so that load from elsewhere on the machine
      // weighs on both sides of the ratio alike.
      const create: Array<{ ms: number; ref: number }> = [];
      const always: Array<{ ms: number; ref: number }> = [];
      for (let i = 0; i < RUNS; i++) {
        await withServer(engine, 10, 0, dir, pg, async ({ config }) => {
          const ref = ((await oneHash(10, 5)) * n) / cores;
          create.push({ ms: await timed(() => apply(config, files.create)), ref });
          let result: Record<string, unknown> = {};
          always.push({ ms: await timed(async () => (result = await apply(config, files.always))), ref });
          if (result.changed !== false) throw new Error('the re-run with update_password: always changed something');
        });
        const last = (xs: Array<{ ms: number; ref: number }>) => `${xs.at(-1)!.ms.toFixed(0)} ms`;
        ctx.log(`apply ${engine}: run ${i + 1}: reference ${create.at(-1)!.ref.toFixed(0)} ms, create ${last(create)}, re-run (always) ${last(always)}`);
      }
      const row = (what: string, runs: Array<{ ms: number; ref: number }>): BenchRow => {
        const mid = [...runs].sort((a, b) => a.ms / a.ref - b.ms / b.ref)[Math.floor(runs.length / 2)]!;
        return { what, ratio: mid.ms / mid.ref, budget: BUDGET, note: `${mid.ms.toFixed(0)} ms vs ${n} x one hash / ${cores} cores = ${mid.ref.toFixed(0)} ms (median of ${runs.length})` };
      };
      rows.push(row(`apply ${n} new users, cost 10, ${engine}`, create));
      rows.push(row(`apply re-run, update_password: always, ${engine}`, always));
    }
    for (const engine of ['sqlite', 'postgres'] as const) {
      for (const [users, seeded] of [[1_000, 0], [1_000, 200_000], [10_000, 0], [10_000, 20_000], [10_000, 200_000]] as const) {
        const growth = await applyFiles(join(dir, `${users}-${seeded}-${engine}`), users);
        await withServer(engine, 4, seeded, dir, pg, async ({ config }) => {
          const ref = (users * (await oneHash(4, 101))) / cores;
          const ms = await timed(() => apply(config, growth.create));
          const again = await timed(() => apply(config, growth.create));
          ctx.log(`apply ${engine}: ${users} users at cost 4 on ${seeded} existing: ${ms.toFixed(0)} ms, unchanged re-run ${again.toFixed(0)} ms`);
          rows.push({
            what: `apply ${users} users, cost 4, ${engine}, table of ${seeded}`,
            ratio: ms / ref,
            note: `${ms.toFixed(0)} ms (${(ms / users).toFixed(2)} ms/user) vs hashing floor ${ref.toFixed(0)} ms; unchanged re-run ${again.toFixed(0)} ms`,
          });
        });
      }
    }
  } finally {
    if (server !== undefined) await (await server).stop();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
