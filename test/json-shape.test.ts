// Issue 18: each command's --json object has the same keys whichever store owns the accounts.
// Every command runs on SQLite Synapse and on MAS (the MAS harness), the same steps in the same
// order, and each object's keys must be exactly the list in src/accounts/json-shapes.ts (plus
// "ok" and "warnings", and the secrets that run printed).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_ENTRY_KEYS, JSON_SHAPES, USER_CHECKED_KEYS, type JsonCommand } from '../src/accounts/json-shapes.js';
import { freshDatabase, writeHomeserverYaml, type FreshDatabase } from './helpers/databases.js';
import { masWorld, seedMasUser, seedUser, seedWorker, type MasWorld } from './helpers/mas-world.js';
import { cli, type CliRun } from './helpers/run-cli.js';

const STRONG = 'a-Long-enough-passphrase-42';
const APPLY_FILE = 'users:\n  - {user: erin, admin: false, random_password: true}\n  - {user: alice, admin: true}\n';

/** One step: the command line, stdin, and which secrets its object must carry. */
interface Step {
  command: JsonCommand;
  args: string[];
  input?: string;
  secrets?: string[];
}

const STEPS: Step[] = [
  { command: 'promote', args: ['--dry-run', 'promote', 'alice'] },
  { command: 'promote', args: ['promote', 'alice'] },
  { command: 'promote', args: ['promote', 'alice'] },
  { command: 'demote', args: ['demote', 'alice'] },
  { command: 'demote', args: ['--dry-run', 'demote', 'alice'] },
  { command: 'promote', args: ['promote', 'alice'] },
  { command: 'unlock', args: ['unlock', 'alice'] },
  { command: 'unlock', args: ['--dry-run', 'unlock', 'alice'] },
  { command: 'register', args: ['register', 'bob', '--admin', '--password-stdin'], input: STRONG },
  { command: 'register', args: ['register', 'carol', '--no-admin', '--random-password'], secrets: ['password'] },
  { command: 'register', args: ['--dry-run', 'register', 'dave', '--admin', '--password-stdin'], input: STRONG },
  { command: 'register', args: ['register', 'bob', '--exists-ok', '--admin'] },
  { command: 'set-password', args: ['set-password', 'alice', '--password-stdin'], input: STRONG },
  { command: 'set-password', args: ['set-password', 'alice', '--random-password', '--logout'], secrets: ['password'] },
  { command: 'set-password', args: ['--dry-run', 'set-password', 'alice', '--password-stdin'], input: STRONG },
  { command: 'issue-token', args: ['issue-token', 'alice'], secrets: ['access_token'] },
  { command: 'issue-token', args: ['--dry-run', 'issue-token', 'alice'] },
  { command: 'list-admins', args: ['list-admins'] },
  { command: 'check', args: ['check', 'alice', 'nobody'] },
  { command: 'apply', args: ['--dry-run', 'apply', 'users.yaml'] },
  { command: 'apply', args: ['apply', 'users.yaml'] },
];

function expectShape(step: Step, run: CliRun): void {
  expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
  const json = run.json();
  const keys = ['ok', ...JSON_SHAPES[step.command].keys, ...(step.secrets ?? []), 'warnings'];
  expect(Object.keys(json).sort()).toEqual([...keys].sort());
  if (step.command === 'list-admins') {
    expect(json.admins.length).toBeGreaterThan(0);
    for (const a of json.admins) expect(Object.keys(a).sort()).toEqual([...ADMIN_ENTRY_KEYS].sort());
  }
  if (step.command === 'check') {
    for (const u of json.users_checked) expect(Object.keys(u).sort()).toEqual([...USER_CHECKED_KEYS].sort());
  }
}

/** Runs every step in `run`, a store's world; returns the objects for comparing stores. */
async function playSteps(run: (args: string[], input?: string) => Promise<CliRun>): Promise<void> {
  for (const step of STEPS) {
    const result = await run(['--json', ...step.args], step.input);
    try {
      expectShape(step, result);
    } catch (err) {
      throw new Error(`${step.args.join(' ')}: ${(err as Error).message}`);
    }
  }
}

describe('--json keys: the same on every store (src/accounts/json-shapes.ts)', () => {
  let synapse: { fresh: FreshDatabase; dir: string } | undefined;
  let mas: MasWorld | undefined;

  beforeAll(async () => {
    const fresh = await freshDatabase('sqlite');
    const dir = mkdtempSync(join(tmpdir(), 'sab-json-shape-'));
    synapse = { fresh, dir };
    await writeHomeserverYaml(dir, { serverName: 'example.test', database: fresh.settings, extra: { bcrypt_rounds: 4 } });
    await seedUser(fresh.knex, { name: '@alice:example.test' });
    writeFileSync(join(dir, 'users.yaml'), APPLY_FILE);
    mas = await masWorld();
    await seedMasUser(mas.mas, { username: 'alice' });
    await seedUser(mas.synapse, { name: '@alice:example.test', passwordHash: null });
    await seedWorker(mas.mas);
    writeFileSync(join(mas.dir, 'users.yaml'), APPLY_FILE);
  });

  afterAll(async () => {
    await synapse?.fresh.cleanup();
    if (synapse) rmSync(synapse.dir, { recursive: true, force: true });
    await mas?.cleanup();
  });

  it('on SQLite Synapse', async () => {
    const { dir } = synapse!;
    await playSteps((args, input) => cli(['-c', join(dir, 'homeserver.yaml'), ...args], { input, cwd: dir }));
  });

  it('on MAS', async () => {
    await playSteps((args, input) => mas!.run(args, input));
  });
});
