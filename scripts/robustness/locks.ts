// Lock waits: another connection holds SQLite's write lock (BEGIN IMMEDIATE), or a PostgreSQL row
// lock on the user (SELECT ... FOR UPDATE) or a table lock (LOCK TABLE users), for `holdMs`,
// while the writing commands run. Each command gets its own copy of the database and its own
// holder, so "nothing was written" can be checked per command.
import type { Knex } from 'knex';
import type { WritingCommand } from './commands.js';
import { changedTables, snapshot } from './state.js';
import { firstMessage, outcome, runTool } from './tool.js';
import { uid, type Db, type World } from './world.js';

export type LockKind = 'sqlite write lock' | 'postgres row lock' | 'postgres table lock';
export const LOCK_KINDS: readonly LockKind[] = ['sqlite write lock', 'postgres row lock', 'postgres table lock'];

export interface LockRow {
  lock: LockKind;
  command: string;
  exit: string;
  seconds: number;
  message: string;
  /** Tables changed although the command failed (must be none). */
  writtenOnFailure: string[];
  /** The command succeeded (e.g. it needs no lock the holder has): what it changed. */
  changedOnSuccess: string[];
}

/** The user row each command changes, for the row lock. */
function targetUser(cmd: WritingCommand, w: World): string {
  const name = cmd.args(w)[1]!;
  return uid(name);
}

async function hold(db: Db, lock: LockKind, user: string): Promise<Knex> {
  const knex = db.connect();
  const conn = await knex.client.acquireConnection();
  const raw = (sql: string, bindings: Knex.RawBinding[] = []) => knex.raw(sql, bindings).connection(conn);
  if (lock === 'sqlite write lock') await raw('BEGIN IMMEDIATE');
  else {
    await raw('BEGIN');
    await (lock === 'postgres row lock' ? raw('SELECT * FROM users WHERE name = ? FOR UPDATE', [user]) : raw('LOCK TABLE users'));
  }
  const release = async () => {
    await raw('ROLLBACK').catch(() => undefined);
    await knex.client.releaseConnection(conn);
    await knex.destroy();
  };
  return Object.assign(knex, { release });
}

export async function lockWaits(w: World, lock: LockKind, commands: WritingCommand[], holdMs: number): Promise<LockRow[]> {
  const engine = lock.startsWith('sqlite') ? 'sqlite' : 'postgres';
  return Promise.all(
    commands.map(async (cmd): Promise<LockRow> => {
      const db = await w.fresh(engine);
      const before = await snapshot(db);
      const holder = (await hold(db, lock, targetUser(cmd, w))) as Knex & { release(): Promise<void> };
      // The tool may wait out the whole hold; give it time to finish after the release.
      const running = runTool(['-c', w.config(db), '--yes', ...cmd.args(w)], { timeoutMs: holdMs + 60_000 });
      // Hold for the full time, or until the tool has given up or finished.
      await Promise.race([new Promise((resolve) => setTimeout(resolve, holdMs)), running]);
      await holder.release();
      const run = await running;
      const changed = changedTables(before, await snapshot(db));
      return {
        lock,
        command: cmd.name,
        exit: outcome(run),
        seconds: Math.round(run.ms / 100) / 10,
        message: run.code === 0 ? '' : firstMessage(run),
        writtenOnFailure: run.code === 0 ? [] : changed,
        changedOnSuccess: run.code === 0 ? changed : [],
      };
    }),
  );
}
