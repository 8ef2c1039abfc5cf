#!/usr/bin/env node
// The installed command (dist/cli.cjs). A CommonJS file, so that it runs before anything has
// touched libuv's thread pool, and so that it can hand V8 a code cache for the bundle
// (dist/main.cjs): Node 20 has no compile cache of its own (module.enableCompileCache came in 22),
// and compiling the bundle anew cost more than everything the command then did.
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { HELP_WIDTH } from './help-width.cjs';

// Set by scripts/build.mjs: the catalog's command words (src/commands/catalog.ts), and the digest of
// the bundle it built beside this file.
declare const SAB_COMMAND_WORDS: readonly string[];
declare const SAB_BUNDLE_SHA256: string;

// libuv reads this once, when the pool first runs work (bcrypt's hashes); its default of 4 threads
// would cap `apply` at 4 hashes at once on a larger machine. A value the user set is kept.
if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = String(Math.max(4, availableParallelism()));

const argv = process.argv.slice(2);
const help = prerenderedHelp(argv);
if (help !== undefined) process.stdout.write(help);
else void runBundle(argv);

/**
 * `--help` on its own prints what yargs rendered when dist/ was built (scripts/build.mjs writes
 * help.txt), without loading the bundle. Only at the width it was rendered for: yargs wraps at the
 * terminal's width, at most HELP_WIDTH; anywhere else the bundle renders it.
 */
function prerenderedHelp(args: string[]): string | undefined {
  if (args.length !== 1 || args[0] !== '--help' || (process.stdout.columns ?? HELP_WIDTH) < HELP_WIDTH) return undefined;
  try {
    return readFileSync(join(__dirname, 'help.txt'), 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * One cache per command word: what V8 caches is the code a run compiled, and each command compiles
 * its own part of the bundle. The name is the first word on the command line that is one of the
 * tool's commands, or `none`: never anything else the user typed (a password before the command
 * would otherwise name a file). An option's value that happens to be a command word only picks
 * that command's cache, which V8 completes by compiling what it lacks.
 */
function cacheName(args: string[]): string {
  const word = args.find((a) => SAB_COMMAND_WORDS.includes(a));
  return `${word ?? 'none'}.bin`;
}

async function runBundle(args: string[]): Promise<void> {
  const bundle = join(__dirname, 'main.cjs');
  // ASCII, as scripts/build.mjs checks: latin1 reads it as UTF-8 would, several times faster.
  const source = readFileSync(bundle, 'latin1');
  // V8 checks a cache against the source's length only: the bundle's digest (taken at build time),
  // size and time of writing say which bundle a cache is for. A cache is code V8 runs, so it lives
  // beside the bundle, writable by whoever may change the bundle itself, and never in a shared
  // temporary folder.
  const { size, mtimeMs, uid } = statSync(bundle);
  const bundleKey = `${SAB_BUNDLE_SHA256.slice(0, 16)}-${size}-${Math.trunc(mtimeMs)}`;
  const root = join(__dirname, 'cache');
  const dir = join(root, `${bundleKey}-${process.version}-${process.arch}`);
  const file = join(dir, cacheName(args));
  const key = `${SAB_BUNDLE_SHA256} ${bundleKey} ${process.version} ${process.arch}\n`;
  const [rootOk, dirOk, fileOk] = [root, dir, file].map((p) => ownersOnly(p, uid));
  const cachedData = rootOk === true && dirOk === true && fileOk === true ? verifiedCache(file, key) : undefined;
  // A folder others can write (an older build's, made under a loose umask) holds nothing worth
  // keeping: the write starts it afresh, or fails and leaves no cache.
  const startAfresh = rootOk === false || dirOk === false;
  const script = new Script(Module.wrap(source), { filename: bundle, cachedData });
  if (cachedData === undefined || script.cachedDataRejected === true) {
    // Made at exit, so it holds every function this run compiled, not only the top level.
    process.once('exit', (code) => {
      if (code === 0) writeCache(root, dir, file, key, bundleKey, startAfresh, () => script.createCachedData());
    });
  }
  const mod = new Module(bundle, module);
  mod.filename = bundle;
  const wrapper = script.runInThisContext() as (...a: unknown[]) => void;
  wrapper.call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, __dirname);
  await (mod.exports as { main: () => Promise<void> }).main();
}

/**
 * The digest stops damage, not forgery: its key can be read in this file. So a cache is read only
 * where nobody but the bundle's owner can write: an older build made its folders under the umask,
 * even 0. Undefined: the path does not exist yet.
 */
function ownersOnly(path: string, owner: number): boolean | undefined {
  let s;
  try {
    s = lstatSync(path);
  } catch {
    return undefined;
  }
  // Windows reports no owner and no group or other write bits: its ACLs decide, as for the bundle.
  return process.platform === 'win32' || (!s.isSymbolicLink() && s.uid === owner && (s.mode & 0o022) === 0);
}

/**
 * A cache file is the SHA-256 of (key, V8's data), then that data. V8 does not check what it is
 * handed: one flipped byte made it crash, hang, or run a changed SQL identifier. So the data goes
 * to V8 only when the digest matches, which also refuses a cache made for another bundle; a cache
 * that does not match counts as none, and the run writes it anew.
 */
function verifiedCache(file: string, key: string): Buffer | undefined {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch {
    return undefined;
  }
  const data = raw.subarray(32);
  if (data.length === 0 || !digest(key, data).equals(raw.subarray(0, 32))) return undefined;
  return data;
}

/** SHA-256: 32 bytes. node:crypto loads here, not at the top: `--help` alone never needs its 3 ms. */
function digest(key: string, data: Buffer): Buffer {
  return (require('node:crypto') as typeof import('node:crypto')).createHash('sha256').update(key).update(data).digest();
}

/**
 * Written whole or not at all (another run may read it at any moment), and durably before the
 * rename makes it the cache: a crash leaves the old file, the new one or a temporary one, never a
 * part. Folders at most 0755 and files at most 0644, however loose the umask: nobody but the owner
 * of dist/ may write code that the command runs. A read-only install keeps none.
 */
function writeCache(root: string, dir: string, file: string, key: string, bundleKey: string, startAfresh: boolean, data: () => Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  // The command has done its work and set its exit code: nothing here may fail it.
  try {
    if (startAfresh) rmSync(root, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const bytes = data();
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      writeFileSync(fd, Buffer.concat([digest(key, bytes), bytes]));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    syncFolder(dir);
    pruneOtherBundles(root, bundleKey);
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // No folder to write in: nothing was left behind.
    }
  }
}

/** The rename itself is durable once the folder is synced; not every platform can open a folder. */
function syncFolder(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Windows: the rename is as durable as the platform makes it.
  }
}

/**
 * Caches of earlier bundles are never read again; they go when this bundle writes one (rarely:
 * once per command). Other Node versions' caches of this bundle stay, for a machine that has two.
 */
function pruneOtherBundles(root: string, bundleKey: string): void {
  for (const d of readdirSync(root)) if (!d.startsWith(`${bundleKey}-`)) rmSync(join(root, d), { recursive: true, force: true });
}
