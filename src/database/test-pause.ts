// A test-only hook for the robustness script (scripts/robustness/): with SAB_TEST_PAUSE_AT set,
// the process freezes inside its one transaction at the named step, so the script can kill -9 it
// exactly there and prove that nothing half-done survives. Unset, it does nothing at all.
//
// Steps: "1", "2", ... after the n-th write statement (INSERT, UPDATE, DELETE) of the transaction;
// "commit" after the last statement, before COMMIT; "committed" after COMMIT returned.
import { writeSync } from 'node:fs';
import type { Knex } from 'knex';

export const PAUSE_ENV = 'SAB_TEST_PAUSE_AT';

const WRITE_STATEMENT = /^\s*(insert(?=\s+into)|update|delete(?=\s+from))\s+(?:into\s+|from\s+)?["`]?(\w+)/i;

// Long enough for any harness; afterwards the process kills itself rather than carry on unseen.
const MAX_PAUSE_MS = 10 * 60_000;

export interface TestPause {
  /** Runs `fn` in the transaction, counting its write statements; then the "commit" step. */
  during<T>(handle: Knex, fn: (handle: Knex) => Promise<T>): Promise<T>;
  /** The "committed" step. */
  committed(): void;
}

const NONE: TestPause = { during: (handle, fn) => fn(handle), committed: () => {} };

/** `commits`: false for a dry run, which has no commit to pause at. */
export function testPause(env: NodeJS.ProcessEnv, commits: boolean): TestPause {
  const target = env[PAUSE_ENV];
  if (target === undefined || target === '') return NONE;
  const pauseIf = (step: string, what: string) => {
    if (step !== target) return;
    // Straight to fd 2 and blocking: knex emits query-response synchronously between statements,
    // so freezing the whole thread here is "after this statement, before the next one".
    writeSync(2, `paused at ${step}${what}\n`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, MAX_PAUSE_MS);
    process.kill(process.pid, 'SIGKILL');
  };
  return {
    during: async (handle, fn) => {
      let writes = 0;
      const onResponse = (_response: unknown, query: { sql?: string }) => {
        const m = WRITE_STATEMENT.exec(query.sql ?? '');
        if (m !== null) pauseIf(String(++writes), ` (${m[1]!.toLowerCase()} ${m[2]})`);
      };
      handle.on('query-response', onResponse);
      let result: Awaited<ReturnType<typeof fn>>;
      try {
        result = await fn(handle);
      } finally {
        handle.off('query-response', onResponse);
      }
      if (commits) pauseIf('commit', ' (before COMMIT)');
      return result;
    },
    committed: () => {
      if (commits) pauseIf('committed', ' (after COMMIT)');
    },
  };
}
