// How the start-up parts time a process: paired, interleaved runs (every variant once per round,
// in a rotating order), warm file cache, medians; ratios only between figures of the same rounds.
// Each round runs every variant twice: once as it is, for wall-clock time, and once with a
// preloaded probe (cpu-probe.cjs) that reports the process's CPU time.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CPU_PROBE = join(import.meta.dirname, 'cpu-probe.cjs');

export interface Variant {
  name: string;
  /** Arguments to node (the script and its arguments, or -e ...). */
  nodeArgs: string[];
  options?: SpawnSyncOptions;
  /** Checked after each run: a variant that fails is a broken measurement, not a figure. */
  expectStatus?: number;
  /** Runs before each run, untimed (e.g. pick the next user to promote). */
  before?: () => void;
}

export interface Figure {
  /** Median wall-clock milliseconds. */
  wall: number;
  /** Median CPU milliseconds (user + system, all threads). */
  cpu: number;
}

export interface Timings {
  figures: Map<string, Figure>;
  rounds: number;
}

function runOnce(v: Variant, cpuFile: string | undefined): { wall: number; cpu?: number } {
  v.before?.();
  const args = cpuFile === undefined ? v.nodeArgs : ['--require', CPU_PROBE, ...v.nodeArgs];
  const env = { ...(v.options?.env ?? process.env), ...(cpuFile === undefined ? {} : { SAB_BENCH_CPU_FILE: cpuFile }) };
  const start = process.hrtime.bigint();
  const res = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], ...v.options, env });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  const expected = v.expectStatus ?? 0;
  if (res.error !== undefined || res.status !== expected) {
    throw new Error(
      `${v.name}: node ${v.nodeArgs.join(' ')} exited ${res.status ?? res.signal} (expected ${expected})\n${String(res.stderr ?? res.error)}`,
    );
  }
  return cpuFile === undefined ? { wall } : { wall, cpu: Number(readFileSync(cpuFile, 'utf8')) };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** `warmup` untimed rounds (file cache), then `rounds` timed ones, every variant in each. */
export function timeInterleaved(variants: Variant[], rounds: number, warmup = 2): Timings {
  const dir = mkdtempSync(join(tmpdir(), 'sab-bench-cpu-'));
  try {
    const cpuFile = join(dir, 'cpu');
    for (let r = 0; r < warmup; r++) for (const v of variants) runOnce(v, undefined);
    const wall = new Map<string, number[]>(variants.map((v) => [v.name, []]));
    const cpu = new Map<string, number[]>(variants.map((v) => [v.name, []]));
    for (let r = 0; r < rounds; r++) {
      // Rotate who goes first, so that no variant always follows the same neighbour.
      for (let i = 0; i < variants.length; i++) {
        const v = variants[(i + r) % variants.length]!;
        wall.get(v.name)!.push(runOnce(v, undefined).wall);
        cpu.get(v.name)!.push(runOnce(v, cpuFile).cpu!);
      }
    }
    const figures = new Map(variants.map((v) => [v.name, { wall: median(wall.get(v.name)!), cpu: median(cpu.get(v.name)!) }]));
    return { figures, rounds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
