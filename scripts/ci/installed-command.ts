// Runs an installed synapse-admin-bootstrap as an admin would after installing it, against a
// throwaway SQLite homeserver: exit codes, output, and no warning on stderr a user cannot act on.
// usage: tsx scripts/ci/installed-command.ts BIN_DIR   (the install's bin directory)
//
// The command runs from a temporary directory with only BIN_DIR added to PATH and nothing of
// this checkout on it, so a dependency missing from package.json or a file missing from the
// package fails here. `pg` is loaded by the first command; better-sqlite3, which knex loads
// only for an SQLite database, by the first that opens one.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { makeHomeserver } from '../throwaway-homeserver.js';

const NAME = 'synapse-admin-bootstrap';
const SERVER = 'install-check.example';
const PASSWORD = 'install check: correct horse battery staple';
/** Node's own warnings, `(node:123) Warning: ...` or `... DeprecationWarning: ...`. */
const NODE_WARNING = /Warning\b|^\(node:\d+\)/m;

const binDir = resolve(process.argv[2] ?? '');
const dir = mkdtempSync(join(tmpdir(), 'sab-installed-'));
const outside = (entry: string) => entry !== '' && !entry.includes('node_modules');
const env: NodeJS.ProcessEnv = {
  PATH: [binDir, ...(process.env.PATH ?? '').split(delimiter).filter(outside)].join(delimiter),
  HOME: dir,
  LANG: 'C.UTF-8',
};

interface Expect {
  code: number;
  stdout?: RegExp;
  stderr?: RegExp;
  /** Warnings that are the point of the case (none in the normal cases). */
  warnings?: boolean;
  shell?: string;
}

let failures = 0;
function check(args: string[], expected: Expect): string {
  const started = process.hrtime.bigint();
  const res = spawnSync(NAME, args, { cwd: dir, env: { ...env, SHELL: expected.shell ?? '/bin/bash' }, encoding: 'utf8' });
  const ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
  const problems = [
    res.error && `could not run: ${res.error.message}`,
    res.status !== expected.code && `exit ${res.status}, expected ${expected.code}`,
    expected.stdout && !expected.stdout.test(res.stdout) && `stdout does not match ${expected.stdout}`,
    expected.stderr && !expected.stderr.test(res.stderr) && `stderr does not match ${expected.stderr}`,
    !expected.warnings && NODE_WARNING.test(res.stderr) && 'a warning on stderr',
    `${res.stdout}${res.stderr}`.includes(PASSWORD) && 'the password was printed',
  ].filter(Boolean);
  const shown = `${NAME} ${args.join(' ')}`;
  if (problems.length === 0) {
    console.log(`ok   ${shown} (exit ${res.status}, ${ms} ms)`);
  } else {
    failures += 1;
    console.log(`FAIL ${shown}: ${problems.join('; ')}\n--- stdout\n${res.stdout}--- stderr\n${res.stderr}---`);
  }
  return res.stdout;
}

try {
  const { configPath, dbPath } = await makeHomeserver(dir, SERVER);
  const passwordFile = join(dir, 'admin-password');
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  const c = ['-c', configPath];

  check(['--version'], { code: 0, stdout: /^\d+\.\d+\.\d+\n$/ });
  check(['--help'], { code: 0, stdout: /Commands:[^]*list-admins[^]*Exit codes:/ });
  check([...c, 'check'], { code: 5, stderr: /Schema: +94 [^]*No usable server admin/ });
  check([...c, 'register', 'admin', '--admin', '--password-file', passwordFile], {
    code: 0,
    stdout: new RegExp(`^Registered @admin:${SERVER} as a server admin\\.$`, 'm'),
  });
  check([...c, 'register', 'admin', '--admin', '--password-file', passwordFile], { code: 6, stderr: /already exists/ });
  check([...c, 'list-admins'], { code: 0, stdout: new RegExp(`^@admin:${SERVER}\\b`, 'm') });
  const listed = check([...c, '--json', 'list-admins'], { code: 0 });
  if (JSON.parse(listed).admins?.[0]?.user_id !== `@admin:${SERVER}`) {
    failures += 1;
    console.log(`FAIL --json list-admins does not list @admin:${SERVER}: ${listed}`);
  }
  check([...c, 'check'], { code: 0, stdout: /admins 1 \(usable 1\)/ });
  // The PostgreSQL driver loads and reports a refused connection as a database error.
  check([...c, '--database-url', 'postgres://install-check@127.0.0.1:1/synapse', 'list-admins'], {
    code: 4,
    stderr: /127\.0\.0\.1:1/,
  });
  // The README's Synapse in Docker: the config names the database as the container sees it.
  const dockerConfig = join(dir, 'docker-homeserver.yaml');
  writeFileSync(dockerConfig, readFileSync(configPath, 'utf8').replace(dbPath, '/data/homeserver.db'));
  check(['-c', dockerConfig, 'list-admins'], { code: 4, stderr: /\/data\/homeserver\.db does not exist[^]*--database-url/ });
  check(['-c', dockerConfig, '--database-url', dbPath, 'list-admins'], { code: 0, stdout: new RegExp(`^@admin:${SERVER}\\b`, 'm') });
  check(['completion'], { code: 0, stdout: /complete -o bashdefault -o default -F _synapse-admin-bootstrap_yargs_completions/ });
  check(['completion'], { code: 0, stdout: /^#compdef synapse-admin-bootstrap$/m, shell: '/usr/bin/zsh' });
  check(['--get-yargs-completions', NAME, 'list'], { code: 0, stdout: /^list-admins$/m });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (failures > 0) {
  console.log(`installed-command: ${failures} check(s) failed`);
  process.exitCode = 1;
}
