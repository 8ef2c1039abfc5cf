// Runs the Synapse command table (test/synapse-cases/*.ts) on one dialect: each case in a fresh
// database and directory, through the checks every table row gets (./table-case.ts). A describe per
// command; each case is an it() of its own name, so `vitest -t '<name>'` finds it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'vitest';
import { HS } from '../synapse-cases/helpers.js';
import { SYNAPSE_TABLES } from '../synapse-cases/index.js';
import type { SynapseEnv } from '../synapse-cases/types.js';
import { freshDatabase, writeHomeserverYaml, type TestDialect } from './databases.js';
import { cli } from './run-cli.js';
import { snapshot } from './seed.js';
import { playCase } from './table-case.js';

const IRC_REGISTRATION = `id: irc
url: http://localhost:9999
as_token: as-secret
hs_token: hs-secret
sender_localpart: ircbot
namespaces:
  users:
    - exclusive: true
      regex: '@irc_.*:example\\.test'
    - exclusive: false
      regex: '@bridged_.*:example\\.test'
`;

/** The name of the describe that holds the table on `dialect`. */
export const synapseTableSuite = (dialect: TestDialect) => `commands on ${dialect}`;

export function runSynapseTable(dialect: TestDialect): void {
  describe(synapseTableSuite(dialect), () => {
    let env: SynapseEnv;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      const fresh = await freshDatabase(dialect);
      const dir = mkdtempSync(join(tmpdir(), 'sab-cmd-'));
      writeFileSync(join(dir, 'irc.yaml'), IRC_REGISTRATION);
      env = {
        db: fresh.knex,
        dir,
        settings: fresh.settings,
        config: join(dir, 'homeserver.yaml'),
        run: (args, input) => cli(['-c', join(dir, 'homeserver.yaml'), '--json', ...args], { input, cwd: dir }),
      };
      cleanup = async () => {
        await fresh.cleanup();
        rmSync(dir, { recursive: true, force: true });
      };
    });

    afterEach(async () => cleanup());

    for (const [command, table] of SYNAPSE_TABLES) {
      describe(command, () => {
        // Not it.each('$name'): vitest cuts a formatted name at 40 characters, so -t could not find a case.
        for (const c of table.cases) {
          it(c.name, async () => {
            const extra = JSON.parse(JSON.stringify(c.extraConfig ?? {}).replaceAll('__DIR__', env.dir));
            await writeHomeserverYaml(env.dir, { serverName: HS, database: env.settings, extra: { bcrypt_rounds: 4, ...extra } });
            await c.seed?.(env.db);
            for (const [file, text] of Object.entries(c.files ?? {})) writeFileSync(join(env.dir, file), typeof text === 'string' ? text.replaceAll('__DIR__', env.dir) : text);
            await playCase(c, env, () => snapshot(env.db), env.run);
          });
        }
        for (const t of table.tests ?? []) it(t.name, () => t.run(env, dialect));
      });
    }
  });
}
