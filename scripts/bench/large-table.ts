// A user lookup on a large SQLite database: Synapse's case-insensitive rule (lower(name)) has no
// index, so every lookup scans the users table, as Synapse's own does. Whole commands run in this
// process (runCli), so the figures leave Node's start-up out.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import knexFactory from 'knex';
import { migrateTo } from '../../migrations/synapse/index.js';
import { runCli } from '../../src/cli.js';
import { median } from './timing.js';
import type { BenchContext, BenchRow } from './types.js';

const USERS = Number(process.env.BENCH_USERS ?? 200_000);
const SMALL = 100;
const RUNS = 5;

async function database(dir: string, users: number): Promise<string> {
  const path = join(dir, 'homeserver.db');
  const db = knexFactory({ client: 'better-sqlite3', connection: { filename: path }, useNullAsDefault: true });
  await migrateTo(db, 94);
  const rows = Array.from({ length: users }, (_, i) => ({
    name: `@user${i}:bench.test`,
    password_hash: null,
    creation_ts: 1_700_000_000,
    admin: 0,
    is_guest: 0,
  }));
  // SQLite caps a compound SELECT at 500 terms, which is how knex batches.
  await db.batchInsert('users', rows, 400);
  await db.destroy();
  const config = join(dir, 'homeserver.yaml');
  writeFileSync(config, `server_name: bench.test\nreport_stats: false\ndatabase:\n  name: sqlite3\n  args:\n    database: ${path}\n`);
  return config;
}

/** Median ms of `runs` whole commands; argv(i) gives the i-th command line. */
async function commandMs(dir: string, argv: (i: number) => string[]): Promise<number> {
  const io = () => ({
    stdin: Readable.from([]),
    stdout: new PassThrough().resume(),
    stderr: new PassThrough().resume(),
    env: {},
    cwd: dir,
    now: () => Date.now(),
    randomBytes,
  });
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const code = await runCli(argv(i), io());
    ms.push(performance.now() - start);
    if (code !== 0) throw new Error(`${argv(i).join(' ')} exited ${code}`);
  }
  return median(ms);
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const figures: Record<string, { promote: number; list: number }> = {};
  for (const users of [SMALL, USERS]) {
    ctx.log(`large table: promote and list-admins on ${users} users (SQLite, in process)`);
    const dir = mkdtempSync(join(tmpdir(), 'sab-bench-'));
    try {
      const config = await database(dir, users);
      figures[users] = {
        promote: await commandMs(dir, (i) => ['-c', config, 'promote', `user${(i * 997) % users}`]),
        list: await commandMs(dir, () => ['-c', config, 'list-admins']),
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const big = figures[USERS]!;
  const small = figures[SMALL]!;
  return [
    {
      what: `promote on ${USERS} users vs on ${SMALL} (SQLite)`,
      ratio: big.promote / small.promote,
      note: `${big.promote.toFixed(0)} / ${small.promote.toFixed(0)} ms in process: the unindexed lower(name) scan`,
    },
    {
      what: `list-admins on ${USERS} users vs on ${SMALL} (SQLite)`,
      ratio: big.list / small.list,
      note: `${big.list.toFixed(0)} / ${small.list.toFixed(0)} ms in process`,
    },
  ];
}
