import { chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { run, runChecked } from './exec.js';
import { freePort } from './net.js';

/** Where the suite's throwaway PostgreSQL server is; serialisable, handed to every test file. */
export interface PgServer {
  binDir: string;
  dataDir: string;
  socketDir: string;
  port: number;
  superuser: string;
  superPassword: string;
  /** The role every homeserver's database belongs to, as a deployment's `synapse` role would. */
  user: string;
  password: string;
}

/** Debian's newest installed server, or $SAB_PG_BIN. */
export function findPgBinDir(): string {
  if (process.env.SAB_PG_BIN) return process.env.SAB_PG_BIN;
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(path.join(base, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      `no PostgreSQL server under ${base}: install Debian's postgresql (bash scripts/e2e/install-deps.sh)`,
    );
  }
  return path.join(base, versions[0]!, 'bin');
}

function asPostgres(binDir: string, program: string, args: string[]) {
  // initdb and postgres refuse to run as root.
  return runChecked('runuser', ['-u', 'postgres', '--', path.join(binDir, program), ...args]);
}

/** initdb + start on a free loopback port, scram-sha-256 for every connection. */
export async function startPgServer(dir: string): Promise<PgServer> {
  const binDir = findPgBinDir();
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  const dataDir = path.join(dir, 'data');
  const socketDir = path.join(dir, 'sock');
  mkdirSync(socketDir, { recursive: true, mode: 0o755 });
  for (const d of [dir, socketDir]) chownSync(d, uid, gid);

  const superPassword = randomBytes(12).toString('hex');
  const pwFile = path.join(dir, 'pw');
  writeFileSync(pwFile, superPassword, { mode: 0o600 });
  chownSync(pwFile, uid, gid);
  await asPostgres(binDir, 'initdb', [
    '-D', dataDir, '-U', 'postgres', '--pwfile', pwFile,
    '--auth', 'scram-sha-256', '-E', 'UTF8', '--locale', 'C', '--no-sync',
  ]);

  const port = await freePort();
  const serverOptions = [
    `-p ${port}`, `-k ${socketDir}`, "-c listen_addresses='127.0.0.1'",
    // A throwaway test server: durability only costs time here.
    '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off',
  ].join(' ');
  await asPostgres(binDir, 'pg_ctl', ['-D', dataDir, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', '-o', serverOptions, 'start']);

  const server: PgServer = {
    binDir, dataDir, socketDir, port,
    superuser: 'postgres', superPassword,
    user: 'synapse', password: randomBytes(12).toString('hex'),
  };
  await withSuperuser(server, (client) =>
    client.query(`CREATE ROLE ${server.user} LOGIN PASSWORD '${server.password}'`),
  );
  return server;
}

export async function stopPgServer(server: PgServer): Promise<void> {
  await run('runuser', ['-u', 'postgres', '--', path.join(server.binDir, 'pg_ctl'), '-D', server.dataDir, '-m', 'immediate', '-w', 'stop']);
}

export async function withSuperuser<T>(server: PgServer, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    host: '127.0.0.1', port: server.port, user: server.superuser, password: server.superPassword, database: 'postgres',
  });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

/** A database as Synapse demands it: UTF8 with C collation and ctype. */
export async function createDatabase(server: PgServer, name: string): Promise<void> {
  await withSuperuser(server, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(
      `CREATE DATABASE ${name} OWNER ${server.user} ENCODING 'UTF8' LC_COLLATE='C' LC_CTYPE='C' TEMPLATE template0`,
    );
  });
}

export async function dropDatabase(server: PgServer, name: string): Promise<void> {
  await withSuperuser(server, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}
