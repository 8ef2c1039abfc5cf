// apply - with a real pipe: a writer that dies after some of the file's lines leaves the CLI a
// shorter file that is valid YAML. With admins: exclusive, applying it would demote every admin the
// lost lines listed (issue 16); YAML on stdin must end with `...`, so it is refused instead.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase, writeHomeserverYaml, type FreshDatabase } from '../helpers/databases.js';
import { seedUser, snapshot } from '../helpers/seed.js';

// A child process of the CLI takes seconds to start on a busy two-core machine.
const SLOW = 180_000;
const CLI = join(import.meta.dirname, '../../src/cli.ts');

const FILE = 'admins: exclusive\nusers:\n  - {user: alice, admin: true}\n  - {user: bob, admin: true}\n';

/**
 * `writer` (a shell script) piped into `apply -`, as `writer | synapse-admin-bootstrap apply -`:
 * the CLI's stdin is the writer's stdout, a real pipe.
 */
function pipeline(writer: string, config: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const producer = spawn('sh', ['-c', writer], { stdio: ['ignore', 'pipe', 'ignore'] });
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, '-c', config, '--json', 'apply', '-'], {
      stdio: [producer.stdout, 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

describe.each(DIALECTS)('apply - from a pipe on %s', (dialect) => {
  let db: FreshDatabase;
  let dir: string;
  let config: string;

  beforeEach(async () => {
    db = await freshDatabase(dialect);
    dir = mkdtempSync(join(tmpdir(), 'sab-stdin-'));
    config = await writeHomeserverYaml(dir, { serverName: 'example.test', database: db.settings, extra: { bcrypt_rounds: 4 } });
    await seedUser(db.knex, { name: '@alice:example.test', admin: true });
    await seedUser(db.knex, { name: '@bob:example.test', admin: true });
  });

  afterEach(async () => {
    await db.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'a writer killed after three lines demotes no one: the cut-off YAML is refused',
    async () => {
      const before = await snapshot(db.knex);
      const part = FILE.split('\n').slice(0, 3).join('\n') + '\n';
      const run = await pipeline(`printf '%s' ${shellQuote(part)}; kill -9 $$`, config);
      expect(run.code).toBe(2);
      expect(JSON.parse(run.stdout).error.message).toMatch(/stdin:3: stdin ended without the YAML document end marker/);
      expect(await snapshot(db.knex)).toEqual(before);
    },
    SLOW,
  );

  it(
    'the whole file, ended with ..., is applied (a heredoc, as a shell script writes it)',
    async () => {
      const run = await pipeline(`cat <<'EOF'\n${FILE}...\nEOF`, config);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, changed: false, unchanged: 2 });
    },
    SLOW,
  );
});
