// Runs the built CLI (dist/cli.cjs) as a child process, as scripts and sysadmins run it.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';

export const CLI = join(import.meta.dirname, '../../dist/cli.cjs');

export interface Run {
  /** null when killed or timed out */
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  ms: number;
  /** Set when the child printed the test pause line (src/database/test-pause.ts) and was killed there. */
  pausedAt?: string;
}

export interface RunOptions {
  input?: string;
  /** A file the child reads as its stdin (e.g. /dev/zero) instead of `input`. */
  stdinFile?: string;
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  /** Kill -9 the child as soon as it prints "paused at" (SAB_TEST_PAUSE_AT set in env). */
  killOnPause?: boolean;
}

/** A child environment without the caller's PG* variables or ~/.pgpass, so only the config counts. */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', USER: 'root', LANG: 'C.UTF-8', ...extra };
}

export function runTool(args: string[], opts: RunOptions = {}): Promise<Run> {
  const start = performance.now();
  const stdinFd = opts.stdinFile === undefined ? undefined : openSync(opts.stdinFile, 'r');
  const child = spawn(process.execPath, [CLI, ...args], {
    env: childEnv(opts.env),
    cwd: opts.cwd,
    stdio: [stdinFd ?? 'pipe', 'pipe', 'pipe'],
  });
  if (stdinFd !== undefined) closeSync(stdinFd);
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  let pausedAt: string | undefined;
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
    const m = /paused at (\S+)/.exec(stderr);
    if (opts.killOnPause && m && pausedAt === undefined) {
      pausedAt = m[1];
      child.kill('SIGKILL');
    }
  });
  child.stdin?.on('error', () => {});
  child.stdin?.end(opts.input ?? '');
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs ?? 120_000);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout, stderr, ms: performance.now() - start, pausedAt });
    }),
  );
}

/** How a run ended, for histograms: the exit code, or "killed"/"timeout". */
export function outcome(r: Run): string {
  if (r.timedOut) return 'timeout';
  return r.code === null ? `signal ${r.signal}` : String(r.code);
}

/** The tool's error line on stderr (else its first line), for the report. */
export function firstMessage(r: Run): string {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  return (lines.find((l) => /^error/i.test(l)) ?? lines[0] ?? '').slice(0, 240);
}

/** Runs `fn` over `items`, at most `width` at a time (the machine has few cores), in order. */
export async function inPool<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}
