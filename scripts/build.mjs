// npm run build (after tsc has checked the types): dist/ as the installed command runs it. One bundle entry (dist/cli.js) with code
// splitting, so that each command's modules and libraries are separate chunks loaded only when
// that command runs; Node reads a few files instead of several hundred. Native addons and the
// drivers knex names but we do not use stay outside, loaded from node_modules as before.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';

const buildRequire = createRequire(import.meta.url);
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
        `import stringWidth from ${JSON.stringify(args.path)};`,
        'const PRINTABLE_ASCII = /^[\\x20-\\x7e]*$/;',
        'export default (s, options) => (typeof s === "string" && PRINTABLE_ASCII.test(s) ? s.length : stringWidth(s, options));',
      ].join('\n'),
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};

/**
 * An ES module's `import ... from 'node:fs'` makes Node build an ES facade of the builtin, reading
 * every export, which for fs loads its stream classes and more (about a tenth of a small
 * command's time); require() does not. The bundle takes every builtin through require(), in a
 * stand-in module that names the builtin's plain exports (read here, at build time), so that
 * `(await import('node:http')).get` works as unbundled; lazy getters (fs.promises, ReadStream)
 * are left unread, and a named import of one fails the build rather than the command.
 * @type {import('esbuild').Plugin}
 */
const builtinsThroughRequire = {
  name: 'builtins-through-require',
  setup(b) {
    b.onResolve({ filter: /^[a-z_/:]+$/ }, (args) => {
      if (!isBuiltin(args.path)) return undefined;
      // The require() in the stand-in itself stays a require() of the builtin.
      if (args.namespace === 'builtin-through-require') return { path: args.path, external: true };
      return { path: args.path.replace(/^node:/, ''), namespace: 'builtin-through-require' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin-through-require' }, (args) => {
      const id = `node:${args.path}`;
      const names = Object.entries(Object.getOwnPropertyDescriptors(buildRequire(id)))
        .filter(([name, d]) => 'value' in d && name !== 'default' && /^[A-Za-z_$][\w$]*$/.test(name))
        .map(([name]) => name);
      return {
        contents: [`const m = require(${JSON.stringify(id)});`, 'export default m;', `export const { ${names.join(', ')} } = m;`].join('\n'),
        loader: 'js',
      };
    });
  },
};

const result = await build({
  entryPoints: ['src/cli.ts'],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  external: [...NATIVE, ...OPTIONAL],
  plugins: [onlyOurKnexDialects, asciiFastStringWidth, builtinsThroughRequire],
  chunkNames: 'chunks/[name]-[hash]',
  // The bundled CommonJS libraries (knex, pg, yaml) call require() for Node's own modules and the
  // external ones; an ES module has none, so every output file gets one.
  banner: { js: "import { createRequire as __sabCreateRequire } from 'node:module'; const require = __sabCreateRequire(import.meta.url);" },
  metafile: true,
  logLevel: 'warning',
});
// The top-level --help, rendered by yargs itself (no help.txt yet, and stdout a pipe: the width
// src/cli.ts prints it at), for the built command to print without loading yargs.
writeFileSync(join(outdir, 'help.txt'), execFileSync(process.execPath, [join(outdir, 'cli.js'), '--help'], { encoding: 'utf8' }));
if (process.argv.includes('--analyze')) console.log(await (await import('esbuild')).analyzeMetafile(result.metafile));
