// kill -9 at every write step of every writing command: the CLI pauses inside its transaction
// after the n-th write statement, before COMMIT, or after it (SAB_TEST_PAUSE_AT, src/database/test-pause.ts),
// and is killed there. The database must then be exactly as before, or exactly as a completed
// run leaves it; on SQLite it must also pass PRAGMA integrity_check.
import type { WritingCommand } from './commands.js';
import { integrityCheck, normalize, snapshot } from './state.js';
import { outcome, runTool } from './tool.js';
import type { Engine, World } from './world.js';

export interface KillRow {
  engine: Engine;
  command: string;
  /** Write statements the command's transaction ran (the steps 1..n). */
  writeSteps: number;
  /** Runs killed: one per write step, plus before and after COMMIT. */
  runs: number;
  partial: number;
  integrityFailures: number;
  /** Whole but on the wrong side of COMMIT: changes kept when killed before it, or lost after it. */
  wrongSide: number;
  notes: string[];
}

// More than any command writes; a higher step the command never reaches ends the search.
const MAX_STEPS = 30;

export async function killAtEveryStep(w: World, engine: Engine, cmd: WritingCommand): Promise<KillRow> {
  const row: KillRow = { engine, command: cmd.name, writeSteps: 0, runs: 0, partial: 0, integrityFailures: 0, wrongSide: 0, notes: [] };
  const attempt = async (pauseAt?: string) => {
    const db = await w.fresh(engine);
    const before = await snapshot(db);
    const run = await runTool(['-c', w.config(db), '--yes', ...cmd.args(w)], {
      env: pauseAt === undefined ? {} : { SAB_TEST_PAUSE_AT: pauseAt },
      killOnPause: true,
    });
    const after = await snapshot(db);
    const integrity = engine === 'sqlite' ? await integrityCheck(db) : 'ok';
    return { run, before: normalize(before, before), after: normalize(after, before), integrity };
  };

  const reference = await attempt();
  if (reference.run.code !== 0) {
    row.notes.push(`the command itself fails (exit ${outcome(reference.run)}): ${reference.run.stderr.trim().slice(0, 200)}`);
    return row;
  }
  const done = reference.after;
  const judge = async (step: string) => {
    const r = await attempt(step);
    if (r.run.pausedAt === undefined) return r;
    row.runs += 1;
    const expected = step === 'committed' ? done : r.before;
    if (r.after !== r.before && r.after !== done) {
      row.partial += 1;
      row.notes.push(`partial state after kill at step ${step}`);
    } else if (r.after !== expected) {
      row.wrongSide += 1;
      row.notes.push(`kill at step ${step} left the ${step === 'committed' ? 'old' : 'completed'} state`);
    }
    if (r.integrity !== 'ok') {
      row.integrityFailures += 1;
      row.notes.push(`integrity_check after kill at step ${step}: ${r.integrity}`);
    }
    return r;
  };

  for (let step = 1; step <= MAX_STEPS; step++) {
    const r = await judge(String(step));
    if (r.run.pausedAt !== undefined) continue;
    row.writeSteps = step - 1;
    // Not paused: the command ran past its last write; it must have completed as usual.
    if (r.run.code !== 0 || r.after !== done) row.notes.push(`unpaused run at step ${step} ended ${outcome(r.run)} or differently`);
    break;
  }
  for (const step of ['commit', 'committed']) {
    const r = await judge(step);
    if (r.run.pausedAt === undefined) row.notes.push(`never paused at ${step} (exit ${outcome(r.run)})`);
  }
  return row;
}
