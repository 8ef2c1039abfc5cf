// Copies of the tool running at once, as provisioning scripts run them, on a real PostgreSQL and
// real SQLite files. PostgreSQL races in one process (each run opens its own pool, so their
// statements interleave); better-sqlite3 waits for a lock synchronously, so SQLite's racers are
// child processes of the CLI.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { applyFile } from '../../src/apply/apply.js';
import { loadConfig } from '../../src/config/load.js';
import type { UserExistsError } from '../../src/errors.js';
import { synapseApplyBackend } from '../../src/apply/synapse-backend.js';
import { withSynapse } from '../../src/synapse/session.js';
import { TOKEN_ID_GAP } from '../../src/synapse/tokens.js';
import { DIALECTS, freshDatabase, writeHomeserverYaml, type FreshDatabase, type TestDialect } from '../helpers/databases.js';
import { cli } from '../helpers/run-cli.js';
import { seedToken, seedUser } from '../helpers/seed.js';

interface Outcome {
  code: number;
  json: Record<string, any>;
}

// A child process of the CLI takes seconds to start on a busy two-core machine.
const SLOW = 180_000;

/** One run of the command, as built (test/setup/bundle.ts), in a child process. */
function runChild(args: string[], input: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [inject('sabCli'), ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve({ code: code ?? -1, json: JSON.parse(stdout.trim()) });
      } catch {
        reject(new Error(`exit ${code}, stdout ${stdout}, stderr ${stderr}`));
      }
    });
    child.stdin.end(input);
  });
}

async function runInProcess(args: string[], input: string): Promise<Outcome> {
  const run = await cli(args, { input });
  return { code: run.code, json: run.json() };
}

describe.each(DIALECTS)('copies of the tool at once on %s', (dialect: TestDialect) => {
  let db: FreshDatabase;
  let dir: string;
  let run: (args: string[], input?: string) => Promise<Outcome>;

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    dir = mkdtempSync(join(tmpdir(), 'sab-race-'));
    const config = await writeHomeserverYaml(dir, { serverName: 'example.test', database: db.settings, extra: { bcrypt_rounds: 4 } });
    const runner = dialect === 'sqlite' ? runChild : runInProcess;
    run = (args, input = '') => runner(['-c', config, '--json', ...args], input);
  });

  afterEach(async () => {
    await db.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('three register --exists-ok loops over the same users all succeed, and each user is created once', async () => {
    const users = Array.from({ length: dialect === 'sqlite' ? 4 : 25 }, (_, i) => `user${i}`);
    const loop = async () => {
      const outcomes: Outcome[] = [];
      for (const u of users) {
        outcomes.push(await run(['register', u, '--exists-ok', '--admin', '--password-stdin'], 'loop-password'));
      }
      return outcomes;
    };
    const outcomes = (await Promise.all([loop(), loop(), loop()])).flat();
    expect(outcomes.filter((o) => o.code !== 0).map((o) => o.json.error)).toEqual([]);
    for (const u of users) {
      const mine = outcomes.filter((o) => o.json.user_id === `@${u}:example.test`);
      expect(mine).toHaveLength(3);
      expect(mine.filter((o) => o.json.created)).toHaveLength(1);
    }
    const rows = await db.knex('users').select('name', 'admin');
    expect(rows).toHaveLength(users.length);
    expect(rows.every((r) => Number(r.admin) === 1)).toBe(true);
    expect(await db.knex('profiles').select('user_id')).toHaveLength(users.length);
  }, SLOW);

  it('two applies of the same file at once: the users are created once, and the loser fails cleanly or finds nothing to do', async () => {
    const file = join(dir, 'users.yaml');
    const names = Array.from({ length: 30 }, (_, i) => `user${i}`);
    writeFileSync(file, `users:\n${names.map((n) => `  - {user: ${n}, admin: true, random_password: true}`).join('\n')}\n`);
    const outcomes = await Promise.all([run(['apply', file]), run(['apply', file])]);
    const winners = outcomes.filter((o) => o.code === 0 && o.json.created === names.length);
    expect(winners).toHaveLength(1);
    const loser = outcomes.find((o) => o !== winners[0])!;
    // Planned before the winner committed: refused at the recheck, nothing written; or planned after: nothing to do.
    if (loser.code === 0) expect(loser.json).toMatchObject({ changed: false, unchanged: names.length });
    else expect(loser.json.error).toMatchObject({ code: 6, kind: 'user_exists', message: expect.stringMatching(/created while apply ran; nothing was written/) });
    expect(Number((await db.knex('users').count({ n: '*' }).first())!.n)).toBe(names.length);
    expect(await db.knex('profiles').select('user_id')).toHaveLength(names.length);
    const passwords = winners[0]!.json.users.map((u: { password?: string }) => u.password);
    expect(passwords.every((p: unknown) => typeof p === 'string')).toBe(true);
    expect((await run(['apply', file])).json).toMatchObject({ changed: false });
  }, SLOW);

  it('two applies that planned at once: the second writer finds the users at its recheck and writes nothing', async () => {
    const config = await loadConfig({ configPaths: [join(dir, 'homeserver.yaml')], env: {}, cwd: dir });
    const text = 'users:\n  - {user: alice, admin: true, random_password: true}\n  - {user: bob, random_password: true}\n';
    let bothRead!: () => void;
    const barrier = new Promise<void>((resolve) => (bothRead = resolve));
    let reads = 0;
    const apply = () => {
      const session = (transaction: boolean) => ({ access: 'write' as const, transaction, dryRun: false, now: Date.now, report: { warn() {}, detail() {} }, env: {} });
      const backend = synapseApplyBackend(config, [], {
        read: (fn) => withSynapse(config, session(false), fn),
        write: (fn) => withSynapse(config, session(true), fn),
      }, { ignorePolicy: false, randomBytes });
      const read = backend.read;
      // Both plans are made from the same empty table before either writes.
      backend.read = async (ids) => {
        const found = await read(ids);
        if (++reads === 2) bothRead();
        await barrier;
        return found;
      };
      return applyFile(text, backend, { name: 'users.yaml', cwd: dir, concurrency: 1, progress: () => ({ tick() {}, end() {} }) });
    };
    const first = apply();
    const second = apply();
    const [a, b] = await Promise.allSettled([first, second]);
    const outcomes = [a, b].map((r) => (r.status === 'fulfilled' ? 'created' : (r.reason as UserExistsError).kind));
    expect(outcomes.sort()).toEqual(['created', 'user_exists']);
    expect(await db.knex('users').orderBy('name').pluck('name')).toEqual(['@alice:example.test', '@bob:example.test']);
    expect(await db.knex('profiles').select('user_id')).toHaveLength(2);
  }, SLOW);

  it('sixteen issue-token runs at once each get their own token id, above any id Synapse would use next', async () => {
    await seedUser(db.knex, { name: '@alice:example.test', admin: true });
    await seedToken(db.knex, '@alice:example.test', 41, 'syt_synapse_own_login');
    const n = dialect === 'sqlite' ? 8 : 16;
    const outcomes = await Promise.all(
      Array.from({ length: n }, () => run(['issue-token', 'alice', '--device-id', 'SHARED'])),
    );
    expect(outcomes.filter((o) => o.code !== 0).map((o) => o.json.error)).toEqual([]);
    const ids = (await db.knex('access_tokens').select('id')).map((r) => Number(r.id)).sort((a, b) => a - b);
    expect(ids).toHaveLength(n + 1);
    expect(new Set(ids).size).toBe(n + 1);
    expect(ids[1]).toBe(41 + TOKEN_ID_GAP);
    expect(await db.knex('devices').select('device_id')).toEqual([{ device_id: 'SHARED' }]);
    expect(new Set(outcomes.map((o) => o.json.access_token)).size).toBe(n);
  }, SLOW);
});
