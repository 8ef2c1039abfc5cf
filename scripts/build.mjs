// npm run build (after tsc has checked the types): dist/ as the installed command runs it.
// - dist/main.cjs: src/cli.ts and every library it uses in one CommonJS bundle. A module's code runs
//   only when a command imports it (esbuild wraps each lazily), so a command still loads only
//   its own part; Node reads one file instead of several hundred, and V8 can take a code cache
//   for it, which Node 20 offers only for CommonJS.
// - dist/cli.cjs: the command itself (src/launcher.cts), which loads main.cjs with that cache.
// Native addons and the drivers knex names but we do not use stay outside, loaded from
// node_modules as before.
import { build, transform } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const NATIVE = ['bcrypt', 'better-sqlite3', 'argon2'];
// Required only on paths we never take: pg's optional native binding (pg.native), and the sqlite3
// driver of the knex dialect that knex's better-sqlite3 dialect extends (and overrides).
const OPTIONAL = ['pg-native', 'sqlite3'];
// knex's dialect table names every database it supports; Synapse runs on two. The others become
// a module that says so, which also keeps their drivers (mysql, tedious, oracledb ...) out.
const KNEX_DIALECTS_USED = new Set(['./better-sqlite3', './postgres']);

/** @type {import('esbuild').Plugin} */
const onlyOurKnexDialects = {
  name: 'only-our-knex-dialects',
  setup(b) {
    b.onResolve({ filter: /^\.\/[a-z0-9-]+$/ }, (args) =>
      /knex[\\/]lib[\\/]dialects[\\/]index\.js$/.test(args.importer) && !KNEX_DIALECTS_USED.has(args.path)
        ? { path: args.path, namespace: 'unused-knex-dialect' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'unused-knex-dialect' }, (args) => ({
      contents: `throw new Error('knex dialect ${args.path.slice(2)} is not in this build: Synapse runs on SQLite or PostgreSQL');`,
      loader: 'js',
    }));
  },
};

// --outdir=DIR builds elsewhere (test/cli-startup.test.ts); DIR must lie inside the checkout, where
// the external packages resolve from.
const outdir = process.argv.find((a) => a.startsWith('--outdir='))?.slice('--outdir='.length) ?? 'dist';
rmSync(outdir, { recursive: true, force: true });
/**
 * yargs lays out its help (and renders it again behind every command it runs) through
 * string-width, which measures each string grapheme by grapheme with Intl.Segmenter and a large
 * emoji regular expression: tens of milliseconds per process. Printable ASCII, all our help is,
 * is one column per character; anything else still goes to string-width.
 * @type {import('esbuild').Plugin}
 */
const asciiFastStringWidth = {
  name: 'ascii-fast-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.pluginData?.real) return undefined;
      const real = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: { real: true } });
      return real.errors.length > 0 ? real : { path: real.path, namespace: 'ascii-fast-string-width' };
    });
    b.onLoad({ filter: /.*/, namespace: 'ascii-fast-string-width' }, (args) => ({
      contents: [
        // Loaded on first use: its module builds Unicode property regular expressions (RGI_Emoji
        // and others) as it loads, 20 to 40 ms that our ASCII help never needs.
        'let stringWidth;',
        'const PRINTABLE_ASCII = /^[\\x20-\\x7e]*$/;',
        `export default (s, options) => (typeof s === "string" && PRINTABLE_ASCII.test(s) ? s.length : (stringWidth ??= require(${JSON.stringify(args.path)}).default)(s, options));`,
      ].join('\n'),
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};

/**
 * The command words of src/commands/catalog.ts. Its imports are types only and it loads each
 * command's module on use, so the catalog alone, made JavaScript, runs without the rest.
 */
async function commandWords() {
  const { code } = await transform(readFileSync('src/commands/catalog.ts', 'utf8'), { loader: 'ts', format: 'esm' });
  const { CATALOG } = await import(`data:text/javascript,${encodeURIComponent(code)}`);
  return CATALOG.map((e) => e.name);
}

const common = { bundle: true, format: 'cjs', platform: 'node', target: 'node20', logLevel: 'warning', minifyWhitespace: true };
const result = await build({
  ...common,
  entryPoints: { main: 'src/cli.ts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  sourcemap: true,
  external: [...NATIVE, ...OPTIONAL],
  plugins: [onlyOurKnexDialects, asciiFastStringWidth],
  // Our modules are ES modules that use import.meta.url (package.json's place, createRequire,
  // isMain), which a CommonJS bundle has not: there it is the bundle's own file.
  define: { 'import.meta.url': '__sabImportMetaUrl' },
  // import() of Node's modules and the native addons becomes require(): the launcher's vm.Script has
  // no ES module loader behind it, and require() skips building an ES facade of each.
  supported: { 'dynamic-import': false },
  banner: { js: "var __sabImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  metafile: true,
});
// The launcher reads the bundle as latin1, which is cheaper to decode than UTF-8 and the same for
// ASCII; esbuild escapes everything else in code and drops the comments where it could remain.
const bundle = readFileSync(join(outdir, 'main.cjs'));
if (/[^\x00-\x7f]/.test(bundle.toString('latin1'))) throw new Error(`${outdir}/main.cjs is not ASCII`);
await build({
  ...common,
  entryPoints: { cli: 'src/launcher.cts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  // What the launcher names and checks its code caches by, known without loading the bundle.
  define: {
    SAB_COMMAND_WORDS: JSON.stringify(await commandWords()),
    SAB_BUNDLE_SHA256: JSON.stringify(createHash('sha256').update(bundle).digest('hex')),
  },
});
// The top-level --help, rendered by yargs itself (no help.txt yet, and stdout a pipe: the width
// the launcher prints it at), for the built command to print without loading the bundle.
writeFileSync(join(outdir, 'help.txt'), execFileSync(process.execPath, [join(outdir, 'cli.cjs'), '--help'], { encoding: 'utf8' }));
// That run left a code cache; the first run of each command where it is installed makes its own.
rmSync(join(outdir, 'cache'), { recursive: true, force: true });
if (process.argv.includes('--analyze')) console.log(await (await import('esbuild')).analyzeMetafile(result.metafile));
