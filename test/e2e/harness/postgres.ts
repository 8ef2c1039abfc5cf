import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  /** A role that pg_hba.conf lets in over TLS only, as managed PostgreSQL services do. */
  tlsUser: string;
  tlsPassword: string;
  /** The CA that signed the server's certificate, which names 127.0.0.1 only. */
  caFile: string;
  /** A CA that signed nothing here: trusting it instead must fail verification. */
  otherCaFile: string;
  /** The server also listens here, an address its certificate does not name. */
  unnamedAddress: string;
}

const UNNAMED_ADDRESS = '127.0.0.2';
const TLS_USER = 'synapse_tls';

async function openssl(args: string[]): Promise<void> {
  await runChecked('openssl', args);
}

/** A CA, a server certificate it signs for 127.0.0.1, and an unrelated second CA. */
async function makeCertificates(dir: string): Promise<{ caFile: string; otherCaFile: string; certFile: string; keyFile: string }> {
  mkdirSync(dir, { recursive: true });
  const f = (name: string) => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const ca of ['ca', 'other-ca']) {
    await openssl(['req', '-x509', ...ec, '-keyout', f(`${ca}.key`), '-out', f(`${ca}.crt`), '-days', '2', '-subj', `/CN=sab e2e ${ca}`]);
  }
  await openssl(['req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1']);
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  await openssl([
    'x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-out', f('server.crt'), '-days', '2', '-extfile', f('server.ext'),
  ]);
  return { caFile: f('ca.crt'), otherCaFile: f('other-ca.crt'), certFile: f('server.crt'), keyFile: f('server.key') };
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

  const tls = await makeCertificates(path.join(dir, 'tls'));
  // PostgreSQL refuses a key file that others may read.
  chownSync(tls.keyFile, uid, gid);
  chmodSync(tls.keyFile, 0o600);
  // First match wins: the TLS-only role's lines go before initdb's own.
  const hba = path.join(dataDir, 'pg_hba.conf');
  writeFileSync(
    hba,
    `hostnossl all ${TLS_USER} 127.0.0.0/8 reject\nhostssl all ${TLS_USER} 127.0.0.0/8 scram-sha-256\n${readFileSync(hba, 'utf8')}`,
  );

  const port = await freePort();
  const serverOptions = [
    `-p ${port}`, `-k ${socketDir}`, `-c listen_addresses='127.0.0.1,${UNNAMED_ADDRESS}'`,
    `-c ssl=on -c ssl_cert_file=${tls.certFile} -c ssl_key_file=${tls.keyFile}`,
    // A throwaway test server: durability only costs time here.
    '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off',
  ].join(' ');
  await asPostgres(binDir, 'pg_ctl', ['-D', dataDir, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', '-o', serverOptions, 'start']);

  const server: PgServer = {
    binDir, dataDir, socketDir, port,
    superuser: 'postgres', superPassword,
    user: 'synapse', password: randomBytes(12).toString('hex'),
    tlsUser: TLS_USER, tlsPassword: randomBytes(12).toString('hex'),
    caFile: tls.caFile, otherCaFile: tls.otherCaFile, unnamedAddress: UNNAMED_ADDRESS,
  };
  await withSuperuser(server, async (client) => {
    await client.query(`CREATE ROLE ${server.user} LOGIN PASSWORD '${server.password}'`);
    await client.query(`CREATE ROLE ${server.tlsUser} LOGIN PASSWORD '${server.tlsPassword}'`);
    // The harness reads every homeserver's tables as server.user, TLS-only ones too.
    await client.query(`GRANT ${server.tlsUser} TO ${server.user}`);
  });
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
export async function createDatabase(server: PgServer, name: string, owner = server.user): Promise<void> {
  await withSuperuser(server, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(
      `CREATE DATABASE ${name} OWNER ${owner} ENCODING 'UTF8' LC_COLLATE='C' LC_CTYPE='C' TEMPLATE template0`,
    );
  });
}

export async function dropDatabase(server: PgServer, name: string): Promise<void> {
  await withSuperuser(server, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}
