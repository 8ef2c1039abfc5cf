// Start-up (issue 11): each command line loads what it uses and nothing more. A preloaded probe
// lists the packages in Node's CommonJS module cache when the process exits; knex, yaml, pg and
// the native addons are CommonJS, so every load of them shows there. From the sources (tsx) that
// covers them all; from the built bundle (dist/main.cjs), where knex, yaml and pg are inlined, the
// native addons, which stay outside it. Then the code cache the built command keeps.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHomeserver } from '../scripts/throwaway-homeserver.js';
import { CATALOG } from '../src/commands/catalog.js';
import { processIo } from '../src/io.js';
import { Output } from '../src/output.js';

const ROOT = resolve(import.meta.dirname, '..');
const HEAVY = ['knex', 'yaml', 'pg', 'bcrypt', 'better-sqlite3', 'argon2'] as const;
const PROBE = `
process.on('exit', () => {
  const seen = new Set();
  for (const file of Object.keys(require.cache)) {
    const m = /node_modules[\\\\/]((?:@[^\\\\/]+[\\\\/])?[^\\\\/]+)/.exec(file);
    if (m) seen.add(m[1]);
  }
  require('node:fs').writeFileSync(process.env.SAB_PROBE_OUT, JSON.stringify({ packages: [...seen], pool: process.env.UV_THREADPOOL_SIZE }));
});
`;

let dir: string;
let probe: string;
let dist: string;
let c: string[];
let passwordFile: string;
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  packages: string[];
  /** UV_THREADPOOL_SIZE as the process ended. */
  pool: string | undefined;
}

function run(entry: 'src' | 'dist', args: string[], env: Record<string, string> = {}): Run {
  const out = join(dir, 'probe.json');
  rmSync(out, { force: true });
  const node = entry === 'src' ? ['--import', tsx, join(ROOT, 'src/cli.ts')] : [join(dist, 'cli.cjs')];
  const res = spawnSync(process.execPath, ['--require', probe, ...node, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: dir, SAB_PROBE_OUT: out, ...env },
  });
  const probed = JSON.parse(readFileSync(out, 'utf8')) as { packages: string[]; pool?: string };
  return { status: res.status, stdout: res.stdout, stderr: res.stderr, packages: probed.packages, pool: probed.pool };
}

const heavyIn = (r: Run) => HEAVY.filter((p) => r.packages.includes(p));

beforeAll(async () => {
  dir = mkdtempSync(join(ROOT, 'tmp', 'startup-')); // inside the checkout, for the bundle's node_modules
  probe = join(dir, 'probe.cjs');
  writeFileSync(probe, PROBE);
  const hs = await makeHomeserver(dir, 'startup.test');
  c = ['-c', hs.configPath];
  passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, 'correct horse battery staple\n');
  const reg = run('src', [...c, 'register', 'alice', '--no-admin', '--password-file', passwordFile]);
  expect(reg.status, reg.stderr).toBe(0);
  // Laid out as installed: package.json beside dist/.
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  dist = join(dir, 'dist');
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), `--outdir=${dist}`], { cwd: ROOT, encoding: 'utf8' });
  expect(build.status, build.stderr).toBe(0);
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

// mkdtemp needs the parent; ROOT/tmp/ is in .gitignore.
mkdirSync(join(ROOT, 'tmp'), { recursive: true });

describe('what a command line loads, from the sources', () => {
  it('--help and completion load no database driver, no knex, no YAML parser, no hash library', () => {
    for (const args of [['--help'], ['completion'], ['promote', '--help']]) {
      const r = run('src', args);
      expect(r.status, r.stderr).toBe(0);
      expect(heavyIn(r), args.join(' ')).toEqual([]);
    }
  });

  it('a read-only command loads knex, the SQLite driver and the YAML parser, and no hash library or pg', () => {
    const r = run('src', [...c, 'list-admins']);
    expect(r.status, r.stderr).toBe(0);
    expect(heavyIn(r)).toEqual(['knex', 'yaml', 'better-sqlite3']);
  });

  it('promote loads no hash library and no pg', () => {
    const r = run('src', [...c, 'promote', 'alice']);
    expect(r.status, r.stderr).toBe(0);
    expect(heavyIn(r)).toEqual(['knex', 'yaml', 'better-sqlite3']);
  });

  it('set-password loads bcrypt, not argon2 (MAS only)', () => {
    const r = run('src', [...c, 'set-password', 'alice', '--password-file', passwordFile]);
    expect(r.status, r.stderr).toBe(0);
    expect(heavyIn(r)).toEqual(['knex', 'yaml', 'bcrypt', 'better-sqlite3']);
  });
});

describe('the built command', () => {
  it('--help alone loads no package at all, and prints exactly what yargs renders', () => {
    const built = run('dist', ['--help']);
    expect(built.status, built.stderr).toBe(0);
    expect(built.packages).toEqual([]);
    expect(readFileSync(join(dist, 'help.txt'), 'utf8')).toBe(built.stdout);
    expect(built.stdout).toBe(run('src', ['--help']).stdout);
  });

  it('--version is the package version, wherever it runs from', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const res = spawnSync(process.execPath, [join(dist, 'cli.cjs'), '--version'], { cwd: '/', encoding: 'utf8' });
    expect(res.stdout).toBe(`${version}\n`);
  });

  it("a command's help and a usage error read as from the sources", () => {
    for (const args of [['register', '--help'], ['promote'], ['nonsense']]) {
      const built = run('dist', args);
      const src = run('src', args);
      expect({ status: built.status, stdout: built.stdout, stderr: built.stderr }, args.join(' ')).toEqual({
        status: src.status,
        stdout: src.stdout,
        stderr: src.stderr,
      });
    }
  });

  it('asks a Synapse on a unix socket whether it runs (http, loaded on use, has its named exports)', async () => {
    const socket = join(dir, 'synapse.sock');
    const server = createServer((_req, res) => res.end('OK'));
    await new Promise<void>((done) => server.listen(socket, done));
    try {
      const config = join(dir, 'socket-homeserver.yaml');
      const listener = `listeners:\n  - path: ${socket}\n    type: http\n    resources:\n      - names: [client]\n`;
      writeFileSync(config, readFileSync(c[1]!, 'utf8') + listener);
      // spawnSync would block the server in this process; the child must be asynchronous here.
      const child = spawn(process.execPath, [join(dist, 'cli.cjs'), '-c', config, '--json', 'check'], { cwd: dir });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      await new Promise((done) => child.on('close', done));
      expect(JSON.parse(stdout)).toMatchObject({ synapse_running: true, synapse_running_evidence: [`unix socket ${socket} answered OK on /health`] });
    } finally {
      server.close();
    }
  });

  it("sizes libuv's thread pool to the cores (at least its default 4), unless the environment sets it", () => {
    expect(run('dist', [...c, 'list-admins']).pool).toBe(String(Math.max(4, availableParallelism())));
    expect(run('dist', [...c, 'list-admins'], { UV_THREADPOOL_SIZE: '3' }).pool).toBe('3');
  });

  it('reads --password-file <(…), the pipe the shell hands over for process substitution', () => {
    const script = 'exec "$0" "$1" -c "$2" set-password alice --password-file <(printf "from a pipe\\n")';
    const res = spawnSync('bash', ['-c', script, process.execPath, join(dist, 'cli.cjs'), c[1]!], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: dir },
    });
    expect(res.status, res.stderr).toBe(0);
  });

  it('loads a native addon only for a command that uses it', () => {
    const list = run('dist', [...c, 'list-admins']);
    expect(list.status, list.stderr).toBe(0);
    expect(heavyIn(list)).toEqual(['better-sqlite3']);
    const set = run('dist', [...c, 'set-password', 'alice', '--password-file', passwordFile]);
    expect(set.status, set.stderr).toBe(0);
    expect(heavyIn(set)).toEqual(['bcrypt', 'better-sqlite3']);
  });
});

describe('the code cache of the built command', () => {
  const cacheRoot = () => join(dist, 'cache');
  /** The cache files of this build, by name (one folder per bundle and Node version). */
  function caches(): Map<string, string> {
    const found = new Map<string, string>();
    let dirs: string[] = [];
    try {
      dirs = readdirSync(cacheRoot());
    } catch {
      return found;
    }
    for (const d of dirs) for (const f of readdirSync(join(cacheRoot(), d))) found.set(f, join(cacheRoot(), d, f));
    return found;
  }

  it('the first run of a command leaves a cache, which the next run takes as it is, with the same result', () => {
    rmSync(cacheRoot(), { recursive: true, force: true });
    const first = run('dist', [...c, 'list-admins']);
    expect(first.status, first.stderr).toBe(0);
    const file = caches().get('list-admins.bin');
    expect(file).toBeDefined();
    const made = statSync(file!);
    const second = run('dist', [...c, 'list-admins']);
    expect({ status: second.status, stdout: second.stdout, stderr: second.stderr }).toEqual({ status: 0, stdout: first.stdout, stderr: '' });
    // V8 accepted it: a rejected cache is written anew.
    expect(statSync(file!).mtimeMs).toBe(made.mtimeMs);
    expect([...caches().keys()].filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a cache V8 refuses (another build, damaged) changes nothing but its own file', () => {
    const file = caches().get('list-admins.bin')!;
    const expected = run('dist', [...c, 'list-admins']);
    writeFileSync(file, Buffer.alloc(4096, 7));
    const r = run('dist', [...c, 'list-admins']);
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: expected.stdout, stderr: '' });
    expect(readFileSync(file).equals(Buffer.alloc(4096, 7))).toBe(false);
  });

  it('a failed run leaves no cache, and a place where none can be written costs nothing but the cache', () => {
    const expected = run('dist', [...c, 'list-admins']);
    rmSync(cacheRoot(), { recursive: true, force: true });
    const failed = run('dist', [...c, 'promote', 'nobody-here']);
    expect(failed.status).toBe(5);
    expect(caches().size).toBe(0);
    writeFileSync(cacheRoot(), 'not a folder');
    try {
      const r = run('dist', [...c, 'list-admins']);
      expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: expected.stdout, stderr: '' });
    } finally {
      rmSync(cacheRoot(), { force: true });
    }
  });
});

describe('a damaged, foreign or misnamed code cache (issue 16)', () => {
  const cacheRoot = () => join(dist, 'cache');
  /** Every file under dist/cache/, as folder/name. */
  const cacheFiles = (): string[] => {
    let dirs: string[] = [];
    try {
      dirs = readdirSync(cacheRoot());
    } catch {
      return [];
    }
    return dirs.flatMap((d) => readdirSync(join(cacheRoot(), d)).map((f) => `${d}/${f}`));
  };
  type Ran = Pick<Run, 'status' | 'stdout' | 'stderr'>;
  /** The built command without the probe, which a process V8 ends never writes. */
  const cli = (args: string[]): Ran => {
    const res = spawnSync(process.execPath, [join(dist, 'cli.cjs'), ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    return { status: res.status, stdout: res.stdout, stderr: res.stderr };
  };
  /** list-admins's cache after one run on an empty cache folder, and that run. */
  function freshListAdmins(config = c): { file: string; first: Ran } {
    rmSync(cacheRoot(), { recursive: true, force: true });
    const first = cli([...config, 'list-admins']);
    expect(first.status, first.stderr).toBe(0);
    const [name] = cacheFiles();
    expect(name).toMatch(/\/list-admins\.bin$/);
    return { file: join(cacheRoot(), name!), first };
  }
  const same = (r: Ran, first: Ran) =>
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: first.stdout, stderr: first.stderr });
  /** `-c` and a config whose server has no admin, which list-admins answers with a message. */
  const noAdminConfig = async () => {
    mkdirSync(join(dir, 'no-admin'), { recursive: true });
    return ['-c', (await makeHomeserver(join(dir, 'no-admin'), 'startup.test')).configPath];
  };
  /**
   * A copy of dist/ in `name` whose bundle differs from this one by that message alone, at the same
   * length (V8 checks a cache against the source's length only), and the list-admins cache its run
   * on `config` wrote.
   */
  function otherBundlesCache(name: string, config: string[]): string {
    const other = join(dir, name);
    rmSync(other, { recursive: true, force: true });
    mkdirSync(other);
    for (const f of readdirSync(dist)) if (f !== 'cache') copyFileSync(join(dist, f), join(other, f));
    const bundle = readFileSync(join(other, 'main.cjs'), 'latin1');
    expect(bundle).toContain('There is no server admin');
    writeFileSync(join(other, 'main.cjs'), bundle.replaceAll('There is no server admin', 'There is NO server admin'), 'latin1');
    const otherRun = spawnSync(process.execPath, [join(other, 'cli.cjs'), ...config, 'list-admins'], { cwd: dir, encoding: 'utf8' });
    expect(otherRun.status, otherRun.stderr).toBe(0);
    expect(otherRun.stderr).toContain('There is NO server admin');
    return readdirSync(join(other, 'cache')).map((d) => join(other, 'cache', d, 'list-admins.bin'))[0]!;
  }

  it('16 bytes XORed at offset 1000: detected before V8 sees them, the run succeeds, and it writes the cache anew', () => {
    const { file, first } = freshListAdmins();
    const damaged = readFileSync(file);
    for (let i = 1000; i < 1016; i++) damaged[i]! ^= 0xff;
    writeFileSync(file, damaged);
    same(cli([...c, 'list-admins']), first);
    expect(readFileSync(file).equals(damaged)).toBe(false);
    // The rewritten cache is taken as it is: the next run leaves it alone.
    const rewritten = statSync(file).mtimeMs;
    same(cli([...c, 'list-admins']), first);
    expect(statSync(file).mtimeMs).toBe(rewritten);
  });

  it.each([0, 16, 31, 4096, 'half'] as const)('a cache cut to %s bytes is detected and written anew', (length) => {
    const { file, first } = freshListAdmins();
    const whole = readFileSync(file);
    writeFileSync(file, whole.subarray(0, length === 'half' ? whole.length >> 1 : length));
    same(cli([...c, 'list-admins']), first);
    expect(statSync(file).size).toBeGreaterThan(whole.length >> 1);
  });

  it("another bundle's cache is never handed to V8, even for a bundle of the same length", async () => {
    const noAdmin = await noAdminConfig();
    const { file, first } = freshListAdmins(noAdmin);
    expect(first.stderr).toContain('There is no server admin');
    // V8 would run the other bundle's compiled code.
    const otherCache = otherBundlesCache('dist-other', noAdmin);
    copyFileSync(otherCache, file);
    same(cli([...noAdmin, 'list-admins']), first);
    expect(readFileSync(file).equals(readFileSync(otherCache))).toBe(false);
  });

  it('a cache with a valid digest is not used from a folder or file that others can write, and such folders start afresh (found in review)', async () => {
    const noAdmin = await noAdminConfig();
    const { file, first } = freshListAdmins(noAdmin);
    // What someone who can write the folder could do: compile a changed bundle of the same length
    // and sign its cache with this bundle's key, which anyone can read in cli.cjs.
    const otherCache = otherBundlesCache('dist-forged', noAdmin);
    const folder = dirname(file);
    const bundleKey = basename(folder).slice(0, -`-${process.version}-${process.arch}`.length);
    const sha = createHash('sha256').update(readFileSync(join(dist, 'main.cjs'))).digest('hex');
    const data = readFileSync(otherCache).subarray(32);
    const forged = createHash('sha256').update(`${sha} ${bundleKey} ${process.version} ${process.arch}\n`).update(data).digest();
    const plant = (folderMode: number, fileMode: number) => {
      writeFileSync(file, Buffer.concat([forged, data]));
      chmodSync(file, fileMode);
      chmodSync(folder, folderMode);
    };
    try {
      // A folder others can write: the cache is not read, and the folders start afresh, 0755.
      chmodSync(cacheRoot(), 0o775);
      plant(0o777, 0o644);
      same(cli([...noAdmin, 'list-admins']), first);
      expect(readFileSync(file).subarray(0, 32).equals(forged)).toBe(false);
      expect([cacheRoot(), folder].map((f) => statSync(f).mode & 0o777)).toEqual([0o755, 0o755]);
      // A file others can write, in a sound folder: not read, and written anew.
      plant(0o755, 0o666);
      same(cli([...noAdmin, 'list-admins']), first);
      expect(readFileSync(file).subarray(0, 32).equals(forged)).toBe(false);
      expect(statSync(file).mode & 0o777).toBe(0o644);
      // Where only the owner can write, the same forgery runs: the guard, not the digest, refused it.
      plant(0o755, 0o644);
      expect(cli([...noAdmin, 'list-admins']).stderr).toContain('There is NO server admin');
    } finally {
      rmSync(cacheRoot(), { recursive: true, force: true });
    }
  });

  it('a cache is named by the command word only, never by an argument; no cache holds a password', () => {
    rmSync(cacheRoot(), { recursive: true, force: true });
    const secret = 'correct-horse-battery-staple';
    for (const user of ['bob', 'carol']) {
      const r = cli([...c, '--password', `${secret}-${user}`, 'register', user, '--no-admin']);
      expect(r.status, r.stderr).toBe(0);
    }
    const r = cli([...c, '--password', `${secret}-x`, 'set-password', 'carol']);
    expect(r.status, r.stderr).toBe(0);
    expect(cli(['--version']).status).toBe(0);
    const names = cacheFiles().map((f) => f.split('/')[1]);
    expect(names.sort()).toEqual(['none.bin', 'register.bin', 'set-password.bin']);
    for (const f of cacheFiles()) expect(readFileSync(join(cacheRoot(), f)).includes(secret), f).toBe(false);
  });

  it("each of the catalog's commands names a cache of its own, and a command line without one gets `none`", () => {
    rmSync(cacheRoot(), { recursive: true, force: true });
    for (const { name } of CATALOG) expect(cli([name, '--help']).status, name).toBe(0);
    expect(cli(['--version']).status).toBe(0);
    expect(cacheFiles().map((f) => f.split('/')[1]).sort()).toEqual([...CATALOG.map((e) => `${e.name}.bin`), 'none.bin'].sort());
  });

  it('the folder is 0755 and the files 0644 whatever the umask, and a later build prunes the folders of earlier ones', () => {
    rmSync(cacheRoot(), { recursive: true, force: true });
    const stale = join(cacheRoot(), 'v20.0.0-x64-1234-5678');
    mkdirSync(stale, { recursive: true });
    writeFileSync(join(stale, 'correct-horse-battery-staple.bin'), 'old');
    const res = spawnSync('/bin/sh', ['-c', 'umask 0; exec "$0" "$@"', process.execPath, join(dist, 'cli.cjs'), ...c, 'list-admins'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(res.status, res.stderr).toBe(0);
    const files = cacheFiles();
    expect(files.map((f) => f.split('/')[1])).toEqual(['list-admins.bin']);
    expect(statSync(join(cacheRoot(), files[0]!.split('/')[0]!)).mode & 0o777).toBe(0o755);
    expect(statSync(join(cacheRoot(), files[0]!)).mode & 0o777).toBe(0o644);
  });
});

describe('the command catalog', () => {
  // The heading is said in the catalog only: a module that gave its own would override it.
  it.each(CATALOG.map((e) => [e.name, e] as const))('heads %s with its own name, and its module adds no heading', async (name, entry) => {
    expect(entry.command.split(' ')[0]).toBe(name);
    const module = (await entry.load())(processIo(), new Output(processIo(), false, false));
    expect(module).not.toHaveProperty('command');
    expect(module).not.toHaveProperty('describe');
    expect(typeof module.handler).toBe('function');
  });
});
