// The built command's code cache (issue 16, src/launcher.cts): list-admins's cache damaged by
// one-byte flips and cut short, at places a fixed seed picks, each run against the same intact
// cache made first. A damaged cache must change nothing but the cache: the run ends as with the
// intact one and leaves a good cache behind. And whatever the runs of the whole script typed, only
// command words name a cache file (a password before the command once named one).
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOG } from '../../src/commands/catalog.js';
import { histogram } from './races.js';
import { CLI, firstMessage, outcome, runTool, type Run } from './tool.js';
import type { World } from './world.js';

/** Issue 16's number: the same places every run, so figures compare between runs. */
const SEED = 16;
const CACHE_ROOT = join(CLI, '..', 'cache');
const LOWERCASE_PASSWORD = 'correct-horse-battery-staple';

export interface CacheRow {
  kind: string;
  tried: number;
  exits: Record<string, number>;
  /** Runs whose exit code, stdout or stderr differ from the run with the intact cache. */
  differs: number;
  /** Runs after which the damaged file was still the cache. */
  leftDamaged: number;
  notes: string[];
}

export interface CacheFigures {
  seed: number;
  rows: CacheRow[];
  /** Cache files, over every run of the script, named by anything but a command word. */
  misnamed: string[];
}

/** mulberry32: a small seeded generator, numbers in [0, 1). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cacheFiles(): string[] {
  let dirs: string[] = [];
  try {
    dirs = readdirSync(CACHE_ROOT);
  } catch {
    return [];
  }
  return dirs.flatMap((d) => readdirSync(join(CACHE_ROOT, d)).map((f) => join(d, f)));
}

const result = (r: Run) => JSON.stringify([outcome(r), r.stdout, r.stderr]);

export async function cacheDamage(w: World, counts: { flips: number; cuts: number }, timeoutMs: number): Promise<CacheFigures> {
  const db = await w.fresh('sqlite');
  const args = ['-c', w.config(db), 'list-admins'];
  // A password before the command word, lowercase words as the launcher once took for one: it must
  // not name a file.
  const named = await runTool(['-c', w.config(await w.fresh('sqlite')), '--password', LOWERCASE_PASSWORD, 'register', 'cachecarol', '--no-admin']);
  if (named.code !== 0) throw new Error(`register --password failed: exit ${outcome(named)}: ${firstMessage(named)}`);
  const words = new Set([...CATALOG.map((e) => `${e.name}.bin`), 'none.bin']);
  const misnamed = cacheFiles().filter((f) => !words.has(f.split('/').pop()!));

  for (const f of cacheFiles()) if (f.endsWith('/list-admins.bin')) rmSync(join(CACHE_ROOT, f));
  const intact = await runTool(args, { timeoutMs });
  const file = cacheFiles().find((f) => f.endsWith('/list-admins.bin'));
  if (intact.code !== 0 || file === undefined) throw new Error(`list-admins made no cache: exit ${outcome(intact)}: ${firstMessage(intact)}`);
  const path = join(CACHE_ROOT, file);
  const good = readFileSync(path);
  const expected = result(intact);
  const random = seeded(SEED);

  const damages: Array<{ kind: string; name: string; bytes: Buffer }> = [];
  for (let i = 0; i < counts.flips; i++) {
    const bytes = Buffer.from(good);
    const at = Math.floor(random() * bytes.length);
    const mask = 1 + Math.floor(random() * 255);
    bytes[at]! ^= mask;
    damages.push({ kind: `one-byte flips (seed ${SEED})`, name: `byte ${at} ^ 0x${mask.toString(16)}`, bytes });
  }
  for (let i = 0; i < counts.cuts; i++) {
    const length = Math.floor(random() * good.length);
    damages.push({ kind: `cut short (seed ${SEED})`, name: `cut to ${length} bytes`, bytes: good.subarray(0, length) });
  }
  const rows = new Map<string, CacheRow>();
  const outcomes = new Map<string, string[]>();
  // One at a time: every run reads and writes the same cache file.
  for (const d of damages) {
    writeFileSync(path, d.bytes);
    const run = await runTool(args, { timeoutMs });
    let after: Buffer | undefined;
    try {
      after = readFileSync(path);
    } catch {
      after = undefined;
    }
    const row = rows.get(d.kind) ?? { kind: d.kind, tried: 0, exits: {}, differs: 0, leftDamaged: 0, notes: [] };
    rows.set(d.kind, row);
    row.tried += 1;
    outcomes.set(d.kind, [...(outcomes.get(d.kind) ?? []), outcome(run)]);
    if (result(run) !== expected) {
      row.differs += 1;
      row.notes.push(`${d.name}: exit ${outcome(run)} after ${(run.ms / 1000).toFixed(1)} s: ${firstMessage(run) || run.stdout.slice(0, 120)}`);
    }
    if (after !== undefined && after.equals(d.bytes)) row.leftDamaged += 1;
  }
  writeFileSync(path, good);
  for (const row of rows.values()) row.exits = histogram(outcomes.get(row.kind)!);
  return { seed: SEED, rows: [...rows.values()], misnamed };
}
