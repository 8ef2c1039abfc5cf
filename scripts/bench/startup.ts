// Start-up budgets of issue 11, as ratios to Node itself, measured on the built command (dist/,
// as installed: `npm run build` first): --help and promote against a bare `node -e 0`,
// set-password at bcrypt cost 12 against a Node process that only hashes once at cost 12.
// Every command but the cold one runs with the code cache its first run left (src/launcher.cts).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import knexFactory from 'knex';
import { makeHomeserver } from '../throwaway-homeserver.js';
import { timeInterleaved, type Variant } from './timing.js';
import type { BenchContext, BenchRow } from './types.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist', 'cli.cjs');
const ROUNDS = Number(process.env.BENCH_STARTUP_ROUNDS ?? 15);
const PASSWORD = 'correct horse battery staple';
const USERS = 100;

/** Removes every code cache of `command` (src/launcher.cts keeps one per command word). */
function dropCodeCache(command: string): void {
  const caches = join(ROOT, 'dist', 'cache');
  let dirs: string[] = [];
  try {
    dirs = readdirSync(caches);
  } catch {
    return; // none made yet
  }
  for (const d of dirs) rmSync(join(caches, d, `${command}.bin`), { force: true });
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
    const promoting = (): Pick<Variant, 'nodeArgs' | 'before'> => {
      const nodeArgs = [CLI, '-c', configPath, 'promote', 'user0'];
      const before = () => {
        nodeArgs[4] = `user${next++ % USERS}`;
        if (next % USERS === 0) throw new Error(`more than ${USERS} promote runs: raise USERS in scripts/bench/startup.ts`);
      };
      return { nodeArgs, before };
    };
    const cold = promoting();
    const opts = { cwd: dir, env: { ...process.env, SYNAPSE_CONFIG_PATH: '' } };
    const variants: Variant[] = [
      { name: 'node', nodeArgs: ['-e', '0'], options: opts },
      { name: 'help', nodeArgs: [CLI, '--help'], options: opts },
      { name: 'promote', ...promoting(), options: opts },
      { name: 'list-admins', nodeArgs: [CLI, '-c', configPath, 'list-admins'], options: opts },
      { name: 'version', nodeArgs: [CLI, '--version'], options: opts },
      // The first run after an install or upgrade: no code cache yet, so V8 compiles what it runs
      // (and the run leaves the cache behind).
      {
        name: 'cold',
        nodeArgs: cold.nodeArgs,
        options: opts,
        before: () => {
          cold.before!();
          dropCodeCache('promote');
        },
      },
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
    return [
      row('--help vs node -e 0', 'help', 'node', 1.5),
      row('promote (SQLite) vs node -e 0', 'promote', 'node', 2.0),
      row('set-password, cost 12 vs node hashing once', 'set-password', 'hash-once', 1.25),
      row('list-admins (SQLite) vs node -e 0', 'list-admins', 'node'),
      row('--version vs node -e 0', 'version', 'node'),
      row('promote, first run (no code cache yet) vs node -e 0', 'cold', 'node'),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
