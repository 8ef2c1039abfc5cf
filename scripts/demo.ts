// npm run demo: the tool's main job on a throwaway, Synapse-shaped SQLite homeserver.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeHomeserver } from './throwaway-homeserver.js';

const cli = resolve(import.meta.dirname, '..', 'dist', 'cli.cjs');
const dir = mkdtempSync(join(tmpdir(), 'sab-demo-'));

function run(args: string[], input?: string): void {
  const shown = args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ');
  process.stdout.write(`\n$ synapse-admin-bootstrap ${shown}\n`);
  const res = spawnSync(process.execPath, [cli, ...args], { input, encoding: 'utf8', cwd: dir });
  process.stdout.write(res.stdout);
  process.stdout.write(res.stderr);
  process.stdout.write(`(exit ${res.status})\n`);
}

try {
  const { configPath } = await makeHomeserver(dir, 'demo.example');
  process.stdout.write(`A throwaway homeserver in ${dir} (SQLite, Synapse schema 94).\n`);
  run(['-c', configPath, 'check']);
  run(['-c', configPath, 'register', 'alice', '--admin', '--random-password']);
  run(['-c', configPath, 'register', 'bob', '--no-admin', '--password-stdin', '--displayname', 'Bob B.'], 'correct horse battery staple\n');
  run(['-c', configPath, 'promote', '--dry-run', '@bob:demo.example']);
  run(['-c', configPath, 'promote', 'bob']);
  run(['-c', configPath, 'promote', 'bob']);
  run(['-c', configPath, 'list-admins']);
  run(['-c', configPath, '--json', 'list-admins']);
  run(['-c', configPath, 'promote', 'carol']);
  run(['-c', configPath, 'issue-token', 'alice', '--expires-in', '30m']);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
