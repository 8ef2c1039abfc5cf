// What the MAS command table cannot say, because its runner always passes --mas-config and --json:
// a password needs MAS's config file, and issue-token's text output.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isWellFormedMasToken } from '../../src/mas/tokens.js';
import { masWorld, seedMasUser, seedUser, type MasWorld } from '../helpers/mas-world.js';
import { cli } from '../helpers/run-cli.js';

const STRONG = 'a-Long-enough-passphrase-42';

let world: MasWorld | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

/**
 * The CLI with only --mas-database-url: MAS's database, but not its config file (run elsewhere, as
 * MAS itself would find ./config.yaml).
 */
async function runWithDatabaseUrlOnly(w: MasWorld, args: string[], input?: string) {
  const elsewhere = join(w.dir, 'elsewhere');
  await mkdir(elsewhere, { recursive: true });
  return cli(['-c', w.homeserverYaml, '--mas-database-url', w.masDatabaseUrl, ...args], { cwd: elsewhere, input });
}

describe('MAS passwords without the MAS config file', () => {
  it.each([
    ['register', ['register', 'bob', '--no-admin', '--password-stdin']],
    ['set-password', ['set-password', 'alice', '--password-stdin']],
  ])('%s asks for --mas-config and changes nothing', async (_name, args) => {
    world = await masWorld();
    await seedMasUser(world.mas, { username: 'alice' });
    const before = await world.snapshot();
    const run = await runWithDatabaseUrlOnly(world, ['--json', ...args], `${STRONG}\n`);
    expect(run.code).toBe(3);
    expect(run.json().error.message).toMatch(/schemes and pepper.*--mas-config/);
    expect(await world.snapshot()).toEqual(before);
  });

  it('issue-token needs no password settings: --mas-database-url is enough', async () => {
    world = await masWorld();
    await seedMasUser(world.mas, { username: 'alice', canRequestAdmin: true });
    await seedUser(world.synapse, { name: '@alice:example.test', passwordHash: null });
    const run = await runWithDatabaseUrlOnly(world, ['--json', 'issue-token', 'alice']);
    expect(run.code).toBe(0);
    expect(isWellFormedMasToken(run.json().access_token)).toBe(true);
  });
});

describe('issue-token on MAS, text output', () => {
  it('prints the token alone on stdout, once, and what to know about it on stderr', async () => {
    world = await masWorld();
    await seedMasUser(world.mas, { username: 'alice', canRequestAdmin: true });
    await seedUser(world.synapse, { name: '@alice:example.test', passwordHash: null });
    const run = await world.run(['issue-token', 'alice']);
    expect(run.code).toBe(0);
    const token = run.stdout.trim();
    expect(run.stdout).toBe(`${token}\n`);
    expect(isWellFormedMasToken(token)).toBe(true);
    expect(run.stderr).not.toContain(token);
    expect(run.stderr).toMatch(/with Synapse admin rights \(can_request_admin\)/);
    expect(run.stderr).toMatch(/once MAS's worker has run the sync-devices job .*account\/whoami/);
  });
});
