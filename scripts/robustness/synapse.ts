// --with-synapse: the register races again, on the database of a live Synapse (the e2e harness's
// chroot and PostgreSQL, test/e2e/harness/) while Synapse itself registers users through its
// shared-secret admin API in a loop. Needs root and the cached chroot; slow, hence optional.
import { createHmac } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { ensureChroot } from '../../test/e2e/harness/chroot.js';
import { openPg, openSqlite } from '../../test/e2e/harness/db.js';
import { Homeserver } from '../../test/e2e/harness/homeserver.js';
import { login } from '../../test/e2e/harness/http.js';
import { startPgServer, stopPgServer, type PgServer } from '../../test/e2e/harness/postgres.js';
import { histogram, REGISTER_RACES, registerRace, type RaceRow } from './races.js';
import { ENGINES, SECRETS, type World } from './world.js';

export interface SynapseFigures {
  engine: string;
  synapseVersion: string;
  races: RaceRow[];
  /** Synapse's own registrations during the races: HTTP statuses. */
  apiRegistrations: Record<string, number>;
  /** Users Synapse registered that are missing from its users table afterwards (must be 0). */
  apiUsersMissing: number;
  /** ERROR lines Synapse logged during the races. */
  synapseErrors: number;
  /** A user the tool registered beside it logs in through Synapse. */
  toolUserLogsIn: boolean;
}

/** Synapse's shared-secret registration (synapse/_scripts/register_new_matrix_user.py). */
async function registerViaApi(baseUrl: string, secret: string, username: string): Promise<number> {
  const url = `${baseUrl}/_synapse/admin/v1/register`;
  const { nonce } = (await (await fetch(url)).json()) as { nonce: string };
  const password = 'ApiUserPassword-1';
  const mac = createHmac('sha1', secret).update(`${nonce}\0${username}\0${password}\0notadmin`).digest('hex');
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ nonce, username, password, admin: false, mac }),
  });
  await res.text();
  return res.status;
}

function errorLines(log: string, from: number): number {
  try {
    return readFileSync(log, 'utf8').slice(from).split('\n').filter((l) => / - ERROR - /.test(l)).length;
  } catch {
    return 0;
  }
}

export async function racersBesideSynapse(w: World, quick: boolean): Promise<SynapseFigures[]> {
  const chroot = await ensureChroot();
  const runDir = mkdtempSync(join(tmpdir(), 'sab-robustness-synapse-'));
  // mkdtemp's 0700 would shut out the postgres user and Synapse in the chroot.
  chmodSync(runDir, 0o755);
  let pg: PgServer | undefined;
  const out: SynapseFigures[] = [];
  try {
    pg = await startPgServer(join(runDir, 'pg'));
    const ctx = { runDir, chroot: chroot.root, synapseVersion: chroot.synapseVersion, pg };
    for (const engine of quick ? (['sqlite'] as const) : ENGINES) {
      const hs = await Homeserver.create(ctx, { name: `fig${engine}`, engine, bcryptRounds: 4 });
      try {
        await hs.start();
        const secret = (YAML.parse(readFileSync(hs.configPath, 'utf8')) as { registration_shared_secret: string }).registration_shared_secret;
        const connect = () => (engine === 'sqlite' ? openSqlite(hs.sqlitePath) : openPg(pg!, hs.dbName));
        const target = { engine, config: hs.configPath, serverName: hs.serverName, passwordFile: w.passwordFile, connect };
        const logStart = statSync(hs.logFile).size;

        // Synapse registers users back to back for as long as the tool's racers run.
        let racing = true;
        const apiUsers: string[] = [];
        const statuses: number[] = [];
        const apiLoop = (async () => {
          while (racing) {
            const name = `api${apiUsers.length}`;
            apiUsers.push(name);
            statuses.push(await registerViaApi(hs.baseUrl, secret, name).catch(() => 0));
          }
        })();
        const races: RaceRow[] = [];
        const sizes = quick ? { sameUser: 10, distinctUsers: 10, tokens: 0 } : { sameUser: 20, distinctUsers: 50, tokens: 0 };
        for (const [race, localparts, existsOk] of REGISTER_RACES(sizes)) races.push(await registerRace(target, race, [...localparts], existsOk));
        racing = false;
        await apiLoop;

        const knex = connect();
        let missing = 0;
        try {
          for (const [i, name] of apiUsers.entries()) {
            const found = await knex('users').first('name').where({ name: hs.userId(name) });
            if (statuses[i] === 200 && found === undefined) missing += 1;
          }
        } finally {
          await knex.destroy();
        }
        const loginReply = await login(hs.baseUrl, hs.userId('racer0'), SECRETS.password);
        out.push({
          engine,
          synapseVersion: chroot.synapseVersion,
          races,
          apiRegistrations: histogram(statuses.map(String)),
          apiUsersMissing: missing,
          synapseErrors: errorLines(hs.logFile, logStart),
          toolUserLogsIn: loginReply.status === 200,
        });
      } finally {
        await hs.destroy();
      }
    }
  } finally {
    if (pg) await stopPgServer(pg);
    rmSync(runDir, { recursive: true, force: true });
  }
  return out;
}
