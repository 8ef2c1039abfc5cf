// npm run bench: how long the tool's slow parts take, for numbers to quote rather than guess.
// - bcrypt at the costs admins use (Synapse's default is 12);
// - a user lookup on a large SQLite database: Synapse's case-insensitive rule (lower(name)) has
//   no index, so every lookup scans the users table, as Synapse's own does.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import knexFactory from 'knex';
import { migrateTo } from '../migrations/synapse/index.js';
import { runCli } from '../src/cli.js';
import { hashPassword } from '../src/synapse/password.js';

const USERS = Number(process.env.BENCH_USERS ?? 200_000);
const RUNS = 5;

async function time(label: string, runs: number, fn: () => Promise<unknown>): Promise<void> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    ms.push(performance.now() - start);
  }
  ms.sort((a, b) => a - b);
  console.log(`${label.padEnd(52)} median ${ms[Math.floor(runs / 2)]!.toFixed(1).padStart(8)} ms  (min ${ms[0]!.toFixed(1)})`);
}

for (const rounds of [10, 12]) {
  await time(`bcrypt cost ${rounds}`, RUNS, () => hashPassword('correct horse battery staple', { pepper: '', bcryptRounds: rounds }));
}

const dir = mkdtempSync(join(tmpdir(), 'sab-bench-'));
try {
  const path = join(dir, 'homeserver.db');
  const db = knexFactory({ client: 'better-sqlite3', connection: { filename: path }, useNullAsDefault: true });
  await migrateTo(db, 94);
  const rows = Array.from({ length: USERS }, (_, i) => ({
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
  const io = () => ({
    stdin: Readable.from([]),
    stdout: new PassThrough().resume(),
    stderr: new PassThrough().resume(),
    env: {},
    cwd: dir,
    now: () => Date.now(),
    randomBytes,
  });
  let n = 0;
  await time(`promote on ${USERS} users (SQLite, whole command)`, RUNS, () => runCli(['-c', config, 'promote', `user${n++ * 997}`], io()));
  await time(`list-admins on ${USERS} users (SQLite, whole command)`, RUNS, () => runCli(['-c', config, 'list-admins'], io()));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
