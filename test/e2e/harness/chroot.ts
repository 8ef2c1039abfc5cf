import path from 'node:path';
import { run, runChecked, type RunOptions, type RunResult } from './exec.js';
import { scriptsDir } from './paths.js';

export const defaultChrootPath = '/var/cache/synapse-admin-bootstrap/chroot';

export interface Chroot {
  root: string;
  synapseVersion: string;
}

/** Builds the cached chroot when missing or broken (scripts/e2e/chroot.sh); returns it verified. */
export async function ensureChroot(): Promise<Chroot> {
  const root = process.env.SAB_CHROOT ?? defaultChrootPath;
  const result = await run('bash', [path.join(scriptsDir, 'chroot.sh')], {
    env: { ...process.env, SAB_CHROOT: root },
    timeoutMs: 15 * 60_000,
  });
  const version = /^synapse (\S+)$/m.exec(result.stdout)?.[1];
  if (result.code !== 0 || !version) {
    throw new Error(
      `the Synapse chroot at ${root} could not be made (scripts/e2e/chroot.sh exited ${result.code}):\n` +
        result.stderr.split('\n').slice(-25).join('\n'),
    );
  }
  return { root, synapseVersion: version };
}

/**
 * Runs argv inside the chroot with each of binds mounted at its own path, in a private mount
 * namespace (scripts/e2e/in-chroot.sh): no mount survives the processes that use it.
 */
export function inChroot(
  root: string,
  binds: readonly string[],
  argv: readonly string[],
  options: RunOptions & { check?: boolean } = {},
): Promise<RunResult> {
  const args = [path.join(scriptsDir, 'in-chroot.sh'), root, binds.join(':'), '--', ...argv];
  return options.check === false ? run('bash', args, options) : runChecked('bash', args, options);
}
