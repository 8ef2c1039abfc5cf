// The printed table and the verdict over the figures that must be zero.
import type { BadInputRow } from './bad-inputs.js';
import type { CacheFigures } from './cache.js';
import type { KillRow } from './kill.js';
import type { LockRow } from './locks.js';
import type { RaceRow } from './races.js';
import type { SecretFigures } from './secrets.js';
import type { SynapseFigures } from './synapse.js';

export interface Figures {
  mode: string;
  startedAt: string;
  seconds: number;
  kill: KillRow[];
  locks: LockRow[];
  holdSeconds: number;
  races: RaceRow[];
  secrets: SecretFigures;
  badInputs: BadInputRow[];
  cache: CacheFigures;
  synapse?: SynapseFigures[];
}

const hist = (h: Record<string, number>) => Object.entries(h).map(([k, n]) => `${k}:${n}`).join(' ');
const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((a, x) => a + f(x), 0);

function table(title: string, head: string[], rows: Array<Array<string | number>>): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [`\n== ${title}`, line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

/** Each must-be-zero figure, by name. */
export function mustBeZero(f: Figures): Record<string, number> {
  return {
    'kill -9: partial states': sum(f.kill, (r) => r.partial),
    'kill -9: whole state on the wrong side of COMMIT': sum(f.kill, (r) => r.wrongSide),
    'kill -9: SQLite integrity_check failures': sum(f.kill, (r) => r.integrityFailures),
    'lock waits: written although the command failed': f.locks.filter((r) => r.writtenOnFailure.length > 0).length,
    'racers: users with missing or doubled rows': sum(f.races, (r) => r.inconsistent),
    'secrets: leaks': f.secrets.leaks.length,
    'bad inputs: database changed': sum(f.badInputs, (r) => r.changed),
    'bad inputs: secret or flood printed': sum(f.badInputs, (r) => r.echoed),
    'code cache damaged: runs not as with the intact cache': sum(f.cache.rows, (r) => r.differs),
    'code cache damaged: left in place': sum(f.cache.rows, (r) => r.leftDamaged),
    'code cache: files named by anything but a command word': f.cache.misnamed.length,
    ...(f.synapse === undefined
      ? {}
      : {
          'beside Synapse: users with missing or doubled rows': sum(f.synapse, (s) => sum(s.races, (r) => r.inconsistent)),
          'beside Synapse: its registered users missing': sum(f.synapse, (s) => s.apiUsersMissing),
        }),
  };
}

export function render(f: Figures): string {
  const out: string[] = [];
  out.push(
    table(
      'kill -9 at every write step (and before/after COMMIT)',
      ['engine', 'command', 'write steps', 'kills', 'partial', 'wrong side', 'integrity fail', 'notes'],
      f.kill.map((r) => [r.engine, r.command, r.writeSteps, r.runs, r.partial, r.wrongSide, r.engine === 'sqlite' ? r.integrityFailures : '-', r.notes.join('; ')]),
    ),
  );
  out.push(`total: ${sum(f.kill, (r) => r.runs)} kills, ${sum(f.kill, (r) => r.partial)} partial states`);
  out.push(
    table(
      `lock held by another connection for ${f.holdSeconds} s`,
      ['lock', 'command', 'exit', 'after s', 'written on failure', 'message'],
      f.locks.map((r) => [r.lock, r.command, r.exit, r.seconds, r.writtenOnFailure.join(',') || (r.exit === '0' ? `(ok: ${r.changedOnSuccess.length} tables)` : 'nothing'), r.message]),
    ),
  );
  out.push(
    table(
      'racers',
      ['engine', 'race', 'racers', 'exit codes', 'users/tokens expected', 'found', 'inconsistent', 'notes'],
      f.races.map((r) => [r.engine, r.race, r.racers, hist(r.exits), r.expected, r.found, r.inconsistent, r.notes.slice(0, 3).join('; ')]),
    ),
  );
  out.push(`\n== secrets\nruns: ${f.secrets.runs} (${f.secrets.failedRuns} of them failing), leaks: ${f.secrets.leaks.length}`);
  for (const l of f.secrets.leaks) out.push(`  leak: ${l}`);
  out.push(
    table(
      'bad inputs',
      ['class', 'tried', 'exit codes', 'db changed', 'exit 1', 'echoed'],
      f.badInputs.map((r) => [r.cls, r.tried, hist(r.exits), r.changed, r.exit1, r.echoed]),
    ),
  );
  for (const r of f.badInputs) for (const n of r.notes) out.push(`  ${r.cls}: ${n}`);
  out.push(
    table(
      "list-admins's code cache damaged, each run against the same intact cache",
      ['damage', 'tried', 'exit codes', 'result differs', 'damaged cache left'],
      f.cache.rows.map((r) => [r.kind, r.tried, hist(r.exits), r.differs, r.leftDamaged]),
    ),
  );
  for (const r of f.cache.rows) for (const n of r.notes) out.push(`  ${r.kind}: ${n}`);
  out.push(`cache files named by anything but a command word: ${f.cache.misnamed.length === 0 ? 'none' : f.cache.misnamed.join(', ')}`);
  for (const s of f.synapse ?? []) {
    out.push(
      table(
        `racers beside a live Synapse ${s.synapseVersion} (${s.engine}) registering through its API`,
        ['race', 'racers', 'exit codes', 'users expected', 'found', 'inconsistent', 'notes'],
        s.races.map((r) => [r.race, r.racers, hist(r.exits), r.expected, r.found, r.inconsistent, r.notes.slice(0, 3).join('; ')]),
      ),
    );
    out.push(
      `Synapse API registrations meanwhile: ${hist(s.apiRegistrations)}; missing afterwards: ${s.apiUsersMissing}; ` +
        `ERROR lines in Synapse's log: ${s.synapseErrors}; a tool-made user logs in through Synapse: ${s.toolUserLogsIn ? 'yes' : 'NO'}`,
    );
  }
  const zero = mustBeZero(f);
  out.push('\n== must be zero');
  for (const [k, v] of Object.entries(zero)) out.push(`${k}: ${v}`);
  const bad = Object.entries(zero).filter(([, v]) => v !== 0);
  out.push(
    bad.length === 0
      ? `\nRESULT: all must-be-zero figures are zero (${f.mode} run, ${Math.round(f.seconds)} s)`
      : `\nRESULT: NOT ZERO: ${bad.map(([k, v]) => `${k} = ${v}`).join('; ')} (${f.mode} run, ${Math.round(f.seconds)} s)`,
  );
  return out.join('\n');
}
