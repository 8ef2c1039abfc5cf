#!/usr/bin/env node
// The installed command (dist/cli.cjs). A CommonJS file, so that it runs before anything has
// touched libuv's thread pool, and so that it can hand V8 a code cache for the bundle
// (dist/main.cjs): Node 20 has no compile cache of its own (module.enableCompileCache came in 22),
// and compiling the bundle anew cost more than everything the command then did.
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { HELP_WIDTH } from './help-width.cjs';

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
 * its own part of the bundle. A word that is no command (a config path without a dot, say) only
 * gets a cache of its own; any cache is valid for the bundle it was made from.
 */
function cacheName(args: string[]): string {
  const word = args.find((a) => /^[a-z][a-z-]{0,30}$/.test(a));
  return `${word ?? 'none'}.bin`;
}

async function runBundle(args: string[]): Promise<void> {
  const bundle = join(__dirname, 'main.cjs');
  // ASCII, as scripts/build.mjs checks: latin1 reads it as UTF-8 would, several times faster.
  const source = readFileSync(bundle, 'latin1');
  // V8 checks a cache against the source's length only, so the bundle's size and time of writing
  // name the folder: a rebuilt or reinstalled bundle never meets an older cache. A cache is code
  // V8 runs, so it lives beside the bundle, writable by whoever may change the bundle itself, and
  // never in a shared temporary folder.
  const { size, mtimeMs } = statSync(bundle);
  const dir = join(__dirname, 'cache', `${process.version}-${process.arch}-${size}-${Math.trunc(mtimeMs)}`);
  const file = join(dir, cacheName(args));
  const cachedData = readIfPresent(file);
  const script = new Script(Module.wrap(source), { filename: bundle, cachedData });
  if (cachedData === undefined || script.cachedDataRejected === true) {
    // Made at exit, so it holds every function this run compiled, not only the top level.
    process.once('exit', (code) => {
      if (code === 0) writeCache(dir, file, () => script.createCachedData());
    });
  }
  const mod = new Module(bundle, module);
  mod.filename = bundle;
  const wrapper = script.runInThisContext() as (...a: unknown[]) => void;
  wrapper.call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, __dirname);
  await (mod.exports as { main: () => Promise<void> }).main();
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Written whole or not at all (another run may read it at any moment); a read-only install keeps none. */
function writeCache(dir: string, file: string, data: () => Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  // The command has done its work and set its exit code: nothing here may fail it.
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, data(), { flag: 'wx' });
    renameSync(tmp, file);
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // No folder to write in: nothing was left behind.
    }
  }
}
