// Start-up budgets of issue 11, as ratios to Node itself, measured on the built command (dist/,
// as installed: `npm run build` first): --help and promote against a bare `node -e 0`,
// set-password at bcrypt cost 12 against a Node process that only hashes once at cost 12.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import knexFactory from 'knex';
import { makeHomeserver } from '../throwaway-homeserver.js';
import { timeInterleaved, type Variant } from './timing.js';
import type { BenchContext, BenchRow } from './types.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist', 'cli.js');
const ROUNDS = Number(process.env.BENCH_STARTUP_ROUNDS ?? 15);
const PASSWORD = 'correct horse battery staple';
const USERS = 100;

/** The bundle's chunk holding knex (and pg), as `import('knex')` loads it. */
function knexChunk(): string {
  const name = readdirSync(join(ROOT, 'dist', 'chunks')).find((f) => /^knex-.*\.js$/.test(f));
  if (name === undefined) throw new Error('dist/chunks/knex-*.js is missing: npm run build first');
  return join(ROOT, 'dist', 'chunks', name);
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sab-bench-startup-'));
  try {
    const { configPath, dbPath } = await makeHomeserver(dir, 'bench.test');
    // Synapse's default cost, which the set-password budget is about.
    writeFileSync(configPath, readFileSync(configPath, 'utf8').replace(/^bcrypt_rounds: .*$/m, 'bcrypt_rounds: 12'));
    const db = knexFactory({ client: 'better-sqlite3', connection: { filename: dbPath }, useNullAsDefault: true });
    await db('users').insert(
      Array.from({ length: USERS }, (_, i) => ({ name: `@user${i}:bench.test`, creation_ts: 1_700_000_000, admin: 0, is_guest: 0 })),
    );
    await db.destroy();
    const passwordFile = join(dir, 'password');
    writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });

    // Every promote really writes: a user who is not an admin yet, a different one each run.
    let next = 0;
    const promoteArgs = [CLI, '-c', configPath, 'promote', 'user0'];
    const opts = { cwd: dir, env: { ...process.env, SYNAPSE_CONFIG_PATH: '' } };
    const variants: Variant[] = [
      { name: 'node', nodeArgs: ['-e', '0'], options: opts },
      { name: 'help', nodeArgs: [CLI, '--help'], options: opts },
      {
        name: 'promote',
        nodeArgs: promoteArgs,
        options: opts,
        before: () => {
          promoteArgs[4] = `user${next++ % USERS}`;
          if (next % USERS === 0) throw new Error(`more than ${USERS} promote runs: raise USERS in scripts/bench/startup.ts`);
        },
      },
      { name: 'list-admins', nodeArgs: [CLI, '-c', configPath, 'list-admins'], options: opts },
      { name: 'version', nodeArgs: [CLI, '--version'], options: opts },
      // What promote cannot do without, each alone: the floor under it.
      { name: 'knex', nodeArgs: ['--input-type=module', '-e', `await import(${JSON.stringify(knexChunk())})`], options: opts },
      { name: 'yaml', nodeArgs: ['-e', "require('yaml')"], options: { ...opts, cwd: ROOT } },
      { name: 'better-sqlite3', nodeArgs: ['-e', "require('better-sqlite3')"], options: { ...opts, cwd: ROOT } },
      {
        name: 'hash-once',
        nodeArgs: ['-e', `const b = require('bcrypt'); b.genSalt(12, 'b').then((s) => b.hash(${JSON.stringify(PASSWORD)}, s))`],
        options: { ...opts, cwd: ROOT },
      },
      {
        name: 'set-password',
        nodeArgs: [CLI, '-c', configPath, 'set-password', '@user0:bench.test', '--password-file', passwordFile],
        options: opts,
      },
    ];
    ctx.log(`start-up: ${variants.length} processes x ${ROUNDS} rounds, interleaved (wall and CPU time)`);
    const t = timeInterleaved(variants, ROUNDS);
    const f = (name: string) => t.figures.get(name)!;
    const row = (what: string, ours: string, ref: string, budget?: number): BenchRow => ({
      what,
      ratio: f(ours).wall / f(ref).wall,
      ...(budget === undefined ? {} : { budget }),
      note:
        `${f(ours).wall.toFixed(0)} / ${f(ref).wall.toFixed(0)} ms wall; ` +
        `CPU ${f(ours).cpu.toFixed(0)} / ${f(ref).cpu.toFixed(0)} ms = ${(f(ours).cpu / f(ref).cpu).toFixed(2)}x`,
    });
    // Each library's cost over Node alone, added up: what promote costs before it does anything.
    const extra = (name: string) => f(name).wall / f('node').wall - 1;
    const floor = 1 + ['version', 'knex', 'yaml', 'better-sqlite3'].map(extra).reduce((a, b) => a + b, 0);
    const promote = row('promote (SQLite) vs node -e 0', 'promote', 'node', 2.0);
    promote.note += `; floor of yargs + knex + yaml + better-sqlite3 loaded, nothing done: ${floor.toFixed(2)}x`;
    return [
      row('--help vs node -e 0', 'help', 'node', 1.5),
      promote,
      row('set-password, cost 12 vs node hashing once', 'set-password', 'hash-once', 1.25),
      row('list-admins (SQLite) vs node -e 0', 'list-admins', 'node'),
      row('--version (yargs, bundled) vs node -e 0', 'version', 'node'),
      row('knex loaded (bundled chunk) vs node -e 0', 'knex', 'node'),
      row('yaml loaded vs node -e 0', 'yaml', 'node'),
      row('better-sqlite3 loaded vs node -e 0', 'better-sqlite3', 'node'),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
