// Runs the contract table (test/contract-cases/table.ts) on one store: each case in a world of its
// own holding CONTRACT_USERS, through the checks every table row gets (./table-case.ts), and with
// stdout one JSON object. The stores: Synapse's tables on SQLite (the snapshot also holds the
// database file's bytes) or on PostgreSQL, and MAS beside Synapse (both databases' rows).
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTRACT_CASES, CONTRACT_USERS, type ContractUser } from '../contract-cases/table.js';
import { freshDatabase, writeHomeserverYaml, type TestDialect } from './databases.js';
import { masWorld, seedMasUser, seedWorker } from './mas-world.js';
import { cli, FIXED_NOW, type CliRun } from './run-cli.js';
import { seedUser, snapshot } from './seed.js';
import { playCase } from './table-case.js';

const HS = 'example.test';

interface ContractWorld {
  /** The CLI with the store's config options and --json before `args`. */
  run(args: string[], input?: string): Promise<CliRun>;
  /** Every row the tool could touch, in every database the store has. */
  snapshot(): Promise<unknown>;
  cleanup(): Promise<void>;
}

export type ContractStore = TestDialect | 'mas';

/** The name of the describe that holds the table on `store`. */
export const contractSuite = (store: ContractStore) =>
  `contract on ${store === 'mas' ? 'MAS' : `Synapse on ${store === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`}`;

async function synapseWorld(dialect: TestDialect, users: ContractUser[]): Promise<ContractWorld> {
  const fresh = await freshDatabase(dialect);
  const dir = await mkdtemp(join(tmpdir(), 'sab-contract-'));
  try {
    const config = await writeHomeserverYaml(dir, { serverName: HS, database: fresh.settings, extra: { bcrypt_rounds: 4 } });
    for (const u of users) {
      await seedUser(fresh.knex, { name: `@${u.localpart}:${HS}`, admin: u.admin, deactivated: u.deactivated, locked: u.locked, passwordHash: u.deactivated ? null : undefined });
    }
    const file = fresh.settings.engine === 'sqlite' ? fresh.settings.path : undefined;
    return {
      run: (args, input) => cli(['-c', config, '--json', ...args], { input, cwd: dir }),
      snapshot: async () => ({
        rows: await snapshot(fresh.knex),
        ...(file ? { sha256: createHash('sha256').update(await readFile(file)).digest('hex') } : {}),
      }),
      cleanup: async () => {
        await fresh.cleanup();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await fresh.cleanup();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function masContractWorld(users: ContractUser[]): Promise<ContractWorld> {
  const world = await masWorld();
  try {
    await seedWorker(world.mas);
    for (const u of users) {
      if (!u.synapseOnly) {
        await seedMasUser(world.mas, {
          username: u.localpart,
          canRequestAdmin: u.admin,
          deactivatedAt: u.deactivated ? FIXED_NOW - 86_400_000 : undefined,
          lockedAt: u.locked ? FIXED_NOW - 86_400_000 : undefined,
        });
      }
      await seedUser(world.synapse, { name: `@${u.localpart}:${HS}`, passwordHash: null });
    }
    return { run: (args, input) => world.run(['--json', ...args], input), snapshot: () => world.snapshot(), cleanup: () => world.cleanup() };
  } catch (error) {
    await world.cleanup();
    throw error;
  }
}

export function runContractTable(store: ContractStore): void {
  describe(contractSuite(store), () => {
    for (const own of CONTRACT_CASES) {
      // A store on Synapse's tables answers what it refuses by its rules with its own exit code.
      const c = store === 'mas' || own.onSynapse === undefined ? own : { ...own, ...own.onSynapse };
      it(c.name, async () => {
        const world = store === 'mas' ? await masContractWorld(CONTRACT_USERS) : await synapseWorld(store, CONTRACT_USERS);
        try {
          let printed = '';
          const run = async (args: string[], input?: string) => {
            const result = await world.run(args, input);
            printed = result.stdout;
            return result;
          };
          await playCase(c, world, () => world.snapshot(), run);
          const json: unknown = JSON.parse(printed);
          expect(json !== null && typeof json === 'object' && !Array.isArray(json), printed).toBe(true);
          expect(printed.trimEnd().split('\n'), 'one line').toHaveLength(1);
        } finally {
          await world.cleanup();
        }
      });
    }
  });
}
