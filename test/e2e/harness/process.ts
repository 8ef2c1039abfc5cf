import { readFileSync } from 'node:fs';
import { sleep } from './net.js';

/** True while pid names a process that has not exited (a zombie counts as exited). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
export async function terminate(pid: number, graceMs = 20_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      while (isAlive(pid)) await sleep(100);
      return;
    }
    await sleep(100);
  }
}

export function readPidFile(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Follows a daemon's pid file from its launch. Synapse's launcher creates the file empty and
 * exits; the daemon writes its pid a moment later. So an empty file means "starting", and only a
 * pid that was written and then went away means the daemon died.
 */
export function pidFileWatcher(file: string): () => 'starting' | 'alive' | 'died' {
  let pid: number | undefined;
  return () => {
    pid ??= readPidFile(file);
    if (pid === undefined) return 'starting';
    return isAlive(pid) ? 'alive' : 'died';
  };
}
