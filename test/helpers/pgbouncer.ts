// A real pgbouncer (Debian's package) in front of the test PostgreSQL, on a free loopback port,
// configured as deployments configure it: its own userlist, one pool mode, and optionally the
// usual ignore_startup_parameters.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type PoolMode = 'session' | 'transaction' | 'statement';

export interface PgbouncerOptions {
  /** Where PostgreSQL listens. */
  upstream: { host: string; port: number };
  /** The one login clients use, passed on to PostgreSQL. */
  user: string;
  password: string;
  poolMode: PoolMode;
  /** pgbouncer.ini's ignore_startup_parameters; unset as in pgbouncer's own default. */
  ignoreStartupParameters?: string;
  /** Server connections per database and user (pgbouncer's default_pool_size); 20 unless set. */
  poolSize?: number;
}

export interface Pgbouncer {
  host: string;
  port: number;
  /** What pgbouncer logged, for a failing test's message. */
  log(): string;
  stop(): Promise<void>;
}

/** The binary, or undefined when pgbouncer is not installed (scripts/e2e/install-deps.sh installs it). */
export function pgbouncerBinary(): string | undefined {
  const onPath = (process.env.PATH ?? '').split(':').map((dir) => join(dir, 'pgbouncer'));
  return [...onPath, '/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((path) => path !== 'pgbouncer' && existsSync(path));
}

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  await once(probe, 'close');
  return port;
}

/** pgbouncer refuses to run as root; `nobody` exists everywhere. */
function unprivileged(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

async function accepting(port: number, deadline: number, exited: () => boolean, log: () => string): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (exited() || Date.now() > deadline) throw new Error(`pgbouncer did not start:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startPgbouncer(binary: string, opts: PgbouncerOptions): Promise<Pgbouncer> {
  const dir = await mkdtemp(join(tmpdir(), 'sab-pgbouncer-'));
  const port = await freePort();
  const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
  const ini = [
    '[databases]',
    // Every database name the client asks for, on the test server.
    `* = host=${opts.upstream.host} port=${opts.upstream.port}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = scram-sha-256',
    `auth_file = ${join(dir, 'userlist.txt')}`,
    `pool_mode = ${opts.poolMode}`,
    ...(opts.ignoreStartupParameters === undefined ? [] : [`ignore_startup_parameters = ${opts.ignoreStartupParameters}`]),
    'max_client_conn = 200',
    `default_pool_size = ${opts.poolSize ?? 20}`,
    '',
  ].join('\n');
  await writeFile(join(dir, 'pgbouncer.ini'), ini);
  await writeFile(join(dir, 'userlist.txt'), `${quote(opts.user)} ${quote(opts.password)}\n`);
  const runAs = unprivileged();
  if (runAs) {
    for (const file of ['', 'pgbouncer.ini', 'userlist.txt']) await chown(join(dir, file), runAs.uid, runAs.gid);
  }
  await chmod(join(dir, 'userlist.txt'), 0o600);
  const output: string[] = [];
  const child = spawn(binary, [join(dir, 'pgbouncer.ini')], { ...runAs, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr.on('data', (c: Buffer) => output.push(c.toString()));
  let exited = false;
  const exit = once(child, 'exit').then(() => (exited = true));
  const log = () => output.join('');
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      await exit;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await accepting(port, Date.now() + 10_000, () => exited, log);
  } catch (err) {
    await stop();
    throw err;
  }
  return { host: '127.0.0.1', port, log, stop };
}
