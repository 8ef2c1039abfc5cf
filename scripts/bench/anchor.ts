// The anchor of issue 11: N users registered through Synapse's shared-secret registration API
// (`register_new_matrix_user` in a loop, one process per user, as provisioning scripts do) on the
// real Synapse of the end-to-end suite, beside the same N users registered with our `register`
// in a loop (one process per user, built CLI, SQLite, same bcrypt cost). Needs the suite's chroot
// and root; without them the row says so. Uses of the real Synapse are serialized with the
// end-to-end suite's lock.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultChrootPath, inChroot } from '../../test/e2e/harness/chroot.js';
import type { E2eContext } from '../../test/e2e/harness/context.js';
import { Homeserver } from '../../test/e2e/harness/homeserver.js';
import type { PgServer } from '../../test/e2e/harness/postgres.js';
import { makeHomeserver } from '../throwaway-homeserver.js';
import type { BenchContext, BenchRow } from './types.js';

const N = Number(process.env.BENCH_ANCHOR_USERS ?? 200);
const COST = 10;
const PASSWORD = 'correct horse battery staple';
const CLI = resolve(import.meta.dirname, '../../dist/cli.cjs');
const LOCK = '/tmp/sab-e2e.lock';

/** Our side: N processes of `register`, as a script looping over users would run them. */
async function ourLoop(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'sab-bench-anchor-'));
  try {
    const { configPath } = await makeHomeserver(dir, 'anchor.test');
    writeFileSync(configPath, readFileSync(configPath, 'utf8').replace(/^bcrypt_rounds: .*$/m, `bcrypt_rounds: ${COST}`));
    const passwordFile = join(dir, 'password');
    writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    const start = performance.now();
    for (let i = 0; i < N; i++) {
      const res = spawnSync(process.execPath, [CLI, '-c', configPath, 'register', `anchor${i}`, '--no-admin', '--password-file', passwordFile], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      if (res.status !== 0) throw new Error(`register anchor${i} exited ${res.status}: ${res.stderr}`);
    }
    return performance.now() - start;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Holds the end-to-end lock until release() (a child `flock` that waits on its stdin). */
async function acquireLock(log: (line: string) => void): Promise<() => void> {
  const holder = spawn('flock', [LOCK, 'sh', '-c', 'echo locked; cat >/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
  log(`anchor: waiting for ${LOCK}`);
  await new Promise<void>((done, fail) => {
    holder.stdout.once('data', () => done());
    holder.once('exit', (code) => fail(new Error(`flock ${LOCK} exited ${code}`)));
  });
  return () => holder.stdin.end();
}

/** Synapse's side, timed around the loop only (not Synapse's start). */
async function synapseLoop(chroot: string, log: (line: string) => void): Promise<{ ms: number; version: string }> {
  const version = (await inChroot(chroot, [], ['python3', '-c', 'import synapse; print(synapse.__version__)'])).stdout.trim();
  const runDir = mkdtempSync(join(tmpdir(), 'sab-bench-synapse-'));
  chmodSync(runDir, 0o755);
  // SQLite only: the harness needs PostgreSQL for psycopg2 homeservers, which this is not.
  const ctx: E2eContext = { runDir, chroot, synapseVersion: version, pg: undefined as unknown as PgServer };
  let hs: Homeserver | undefined;
  try {
    hs = await Homeserver.create(ctx, { name: 'anchor', engine: 'sqlite', bcryptRounds: COST });
    log(`anchor: starting Synapse ${version}`);
    await hs.start();
    log(`anchor: ${N} x register_new_matrix_user`);
    const loop = `for i in $(seq 1 ${N}); do synapse_register_new_matrix_user -u anchor$i -p '${PASSWORD}' --no-admin -c '${hs.configPath}' '${hs.baseUrl}' >/dev/null || exit 1; done`;
    const start = performance.now();
    await inChroot(chroot, [runDir], ['bash', '-c', loop], { timeoutMs: N * 10_000 });
    return { ms: performance.now() - start, version };
  } finally {
    await hs?.destroy();
    rmSync(runDir, { recursive: true, force: true });
  }
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const chroot = process.env.SAB_CHROOT ?? defaultChrootPath;
  const what = `${N} users, one process each: Synapse's register_new_matrix_user vs our register (cost ${COST})`;
  const missing = !existsSync(join(chroot, 'usr')) ? `no Synapse chroot at ${chroot}` : process.getuid?.() !== 0 ? 'not root' : undefined;
  ctx.log(`anchor: ${N} x our register (SQLite, cost ${COST})`);
  const ours = await ourLoop();
  const oursNote = `ours ${(ours / N).toFixed(0)} ms/user`;
  if (missing !== undefined) {
    ctx.log(`anchor: skipped (${missing}; the end-to-end suite's scripts/e2e/chroot.sh makes it, as root)`);
    return [{ what, ratio: Number.NaN, note: `skipped: ${missing}; ${oursNote}` }];
  }
  const release = await acquireLock(ctx.log);
  try {
    const synapse = await synapseLoop(chroot, ctx.log);
    return [
      {
        what,
        ratio: synapse.ms / ours,
        note: `Synapse ${synapse.version} (SQLite) ${(synapse.ms / N).toFixed(0)} ms/user; ${oursNote}`,
      },
    ];
  } finally {
    release();
  }
}
