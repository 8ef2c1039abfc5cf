import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureChroot } from './chroot.js';
import type { E2eContext } from './context.js';
import { runChecked } from './exec.js';
import { repoRoot } from './paths.js';
import { startPgServer, stopPgServer, type PgServer } from './postgres.js';
import { readPidFile, terminate } from './process.js';

function log(message: string): void {
  process.stderr.write(`[e2e] ${message}\n`);
}

/** Stops every Synapse whose pid file lies under runDir: the net under each file's own afterAll. */
async function stopStraySynapses(runDir: string): Promise<void> {
  const hsRoot = path.join(runDir, 'hs');
  let names: string[] = [];
  try {
    names = readdirSync(hsRoot);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = readPidFile(path.join(hsRoot, name, 'homeserver.pid'));
    if (pid !== undefined) {
      log(`stopping leftover Synapse ${name} (pid ${pid})`);
      await terminate(pid);
    }
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'the end-to-end suite needs root (debootstrap, chroot, mounts and a PostgreSQL server run ' +
        'as the postgres user); it did NOT run. Run it as root: sudo npm run test:e2e',
    );
  }
  const started = Date.now();
  const chroot = await ensureChroot();
  log(`Synapse ${chroot.synapseVersion} in ${chroot.root} (${Math.round((Date.now() - started) / 1000)} s)`);

  if (process.env.SAB_E2E_SKIP_BUILD !== '1') {
    await runChecked('npm', ['run', 'build', '--silent'], { cwd: repoRoot, timeoutMs: 300_000 });
  }

  const runDir = mkdtempSync(path.join(os.tmpdir(), 'sab-e2e-'));
  // mkdtemp's 0700 would shut out the postgres user.
  chmodSync(runDir, 0o755);
  let pg: PgServer | undefined;
  const teardown = async () => {
    await stopStraySynapses(runDir);
    if (pg) await stopPgServer(pg);
    if (process.env.SAB_E2E_KEEP !== '1') rmSync(runDir, { recursive: true, force: true });
    else log(`kept ${runDir}`);
  };
  try {
    pg = await startPgServer(path.join(runDir, 'pg'));
    log(`PostgreSQL on 127.0.0.1:${pg.port}, socket ${pg.socketDir}`);
  } catch (error) {
    await teardown();
    throw error;
  }
  const context: E2eContext = { runDir, chroot: chroot.root, synapseVersion: chroot.synapseVersion, pg };
  project.provide('sabE2e', context);
  return teardown;
}
