// How the start-up parts time a process: paired, interleaved runs (every variant once per round,
// in a rotating order), warm file cache, medians; ratios only between figures of the same rounds.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';

export interface Variant {
  name: string;
  argv: string[];
  options?: SpawnSyncOptions;
  /** Checked after each run: a variant that fails is not timed, it is a broken measurement. */
  expectStatus?: number;
  /** Runs before each timed run, untimed (e.g. demote the user promote will promote). */
  before?: () => void;
}

export interface Timings {
  /** Median wall-clock milliseconds per variant name. */
  median: Map<string, number>;
  rounds: number;
}

function runOnce(v: Variant): number {
  v.before?.();
  const start = process.hrtime.bigint();
  const res = spawnSync(v.argv[0]!, v.argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...v.options });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const expected = v.expectStatus ?? 0;
  if (res.error !== undefined || res.status !== expected) {
    throw new Error(
      `${v.name}: ${v.argv.join(' ')} exited ${res.status ?? res.signal} (expected ${expected})\n${String(res.stderr ?? res.error)}`,
    );
  }
  return ms;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** `warmup` untimed rounds (file cache, lazy compilation), then `rounds` timed, interleaved. */
export function timeInterleaved(variants: Variant[], rounds: number, warmup = 2): Timings {
  for (let r = 0; r < warmup; r++) for (const v of variants) runOnce(v);
  const samples = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let r = 0; r < rounds; r++) {
    // Rotate who goes first, so that no variant always runs right after the same neighbour.
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(i + r) % variants.length]!;
      samples.get(v.name)!.push(runOnce(v));
    }
  }
  return { median: new Map([...samples].map(([k, xs]) => [k, median(xs)])), rounds };
}
