// The test-only pause the robustness script kills the CLI at (src/database/test-pause.ts): without the
// variable nothing changes; with it, the real CLI process stops inside its transaction at the
// named step, and a kill -9 there leaves the database as it was before (or, after COMMIT, as after).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { PAUSE_ENV } from '../../src/database/test-pause.js';
import { DIALECTS, freshDatabase, writeHomeserverYaml, type FreshDatabase } from '../helpers/databases.js';
import { seedUser } from '../helpers/seed.js';

const HS = 'pause.test';

interface Child {
  /** Resolves with stderr so far once the child prints "paused at", or with the exit code. */
  paused: Promise<string | null>;
  exited: Promise<{ code: number | null; signal: string | null; stderr: string }>;
  kill(): void;
}

function runCli(args: string[], pauseAt?: string): Child {
  const env = { PATH: process.env.PATH, ...(pauseAt === undefined ? {} : { [PAUSE_ENV]: pauseAt }) };
  const child = spawn(process.execPath, [inject('sabCli'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let onPause: (s: string | null) => void = () => {};
  const paused = new Promise<string | null>((resolve) => (onPause = resolve));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (/paused at /.test(stderr)) onPause(stderr);
  });
  const exited = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => {
      onPause(null);
      resolve({ code, signal, stderr });
    }),
  );
  return { paused, exited, kill: () => child.kill('SIGKILL') };
}

async function adminFlag(db: Knex): Promise<number> {
  return Number((await db('users').first('admin').where({ name: `@alice:${HS}` })).admin);
}

describe.each(DIALECTS)('test pause on %s', (dialect) => {
  let fresh: FreshDatabase;
  let dir: string;
  let args: string[];

  beforeEach(async () => {
    fresh = await freshDatabase(dialect);
    await seedUser(fresh.knex, { name: `@alice:${HS}` });
    dir = mkdtempSync(join(tmpdir(), 'sab-pause-'));
    args = ['-c', await writeHomeserverYaml(dir, { serverName: HS, database: fresh.settings }), 'promote', 'alice'];
  });
  afterEach(async () => {
    await fresh.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('does nothing when the variable is unset, or names a step the command never reaches', async () => {
    for (const pauseAt of [undefined, '', '2']) {
      await fresh.knex('users').update({ admin: 0 });
      const run = runCli(args, pauseAt);
      const { code, stderr } = await run.exited;
      expect(stderr).not.toMatch(/paused/);
      expect(code).toBe(0);
      expect(await adminFlag(fresh.knex)).toBe(1);
    }
  });

  it.each([
    ['1', /paused at 1 \(update users\)/, 0],
    ['commit', /paused at commit/, 0],
    ['committed', /paused at committed/, 1],
  ])('stops at step %s until killed', async (step, line, adminAfterKill) => {
    const run = runCli(args, step);
    expect(await run.paused).toMatch(line);
    // Still paused: the uncommitted change is invisible from outside.
    expect(await adminFlag(fresh.knex)).toBe(step === 'committed' ? 1 : 0);
    run.kill();
    expect((await run.exited).signal).toBe('SIGKILL');
    expect(await adminFlag(fresh.knex)).toBe(adminAfterKill);
    if (dialect === 'sqlite') expect(await fresh.knex.raw('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
  });
});
