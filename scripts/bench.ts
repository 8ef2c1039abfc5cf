// npm run bench: the figures issue 11 sets budgets for, one table. Each part in scripts/bench/
// returns rows; ratios compare figures measured in the same run. Start-up figures time the built
// command, so dist/ must be current (`npm run build`).
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as anchor from './bench/anchor.js';
import * as hashing from './bench/hashing.js';
import * as largeTable from './bench/large-table.js';
import * as startup from './bench/startup.js';
import type { BenchContext, BenchRow } from './bench/types.js';

type Part = { run(ctx: BenchContext): Promise<BenchRow[]> };

/** Parts by name; BENCH_PARTS=startup,apply runs only those. */
const parts: Record<string, Part> = { startup, hashing, 'large-table': largeTable, anchor };
// scripts/bench/apply.ts (apply's budgets) joins once it exists in this checkout.
const applyPart = join(import.meta.dirname, 'bench', 'apply.ts');
if (existsSync(applyPart)) parts.apply = (await import(pathToFileURL(applyPart).href)) as Part;

const only = process.env.BENCH_PARTS?.split(',').map((s) => s.trim());
const ctx: BenchContext = { log: (line) => process.stderr.write(`${line}\n`) };

const rows: BenchRow[] = [];
for (const [name, part] of Object.entries(parts)) {
  if (only !== undefined && !only.includes(name)) continue;
  try {
    rows.push(...(await part.run(ctx)));
  } catch (err) {
    // One broken part must not lose the others' figures; the table says which failed.
    process.exitCode = 1;
    ctx.log(`${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    rows.push({ what: `part ${name}`, ratio: Number.NaN, note: `FAILED: ${String(err instanceof Error ? err.message : err).split('\n')[0]}` });
  }
}

const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}`;
const cells = rows.map((r) => [
  r.what,
  Number.isNaN(r.ratio) ? '-' : `${r.ratio.toFixed(2)}x`,
  r.budget === undefined ? '' : `<= ${r.budget}x`,
  r.budget === undefined || Number.isNaN(r.ratio) ? '' : r.ratio <= r.budget ? 'yes' : 'NO',
  r.note ?? '',
]);
const header = ['what', 'ratio', 'budget', 'ok', 'note'];
console.log(`Machine: ${machine}\n`);
console.log(`| ${header.join(' | ')} |`);
console.log(`|${header.map((_h, i) => (i === 1 ? '---:' : '---')).join('|')}|`);
for (const c of cells) console.log(`| ${c.join(' | ')} |`);
