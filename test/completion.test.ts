// Shell completion as a shell uses it: bash sources the script `completion` prints, and its function
// asks the command on PATH for candidates. The command here is the build of the current sources
// (test/setup/bundle.ts).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const NAME = 'synapse-admin-bootstrap';
const COMMANDS = ['promote', 'demote', 'register', 'adopt', 'set-password', 'list-admins', 'issue-token', 'unlock', 'check', 'apply', 'completion'];

let bin: string;
let bashScript: string;

function run(args: string[], shell = '/bin/bash'): { stdout: string; stderr: string; status: number | null } {
  const res = spawnSync(NAME, args, { encoding: 'utf8', env: { PATH: `${bin}:${process.env.PATH}`, SHELL: shell } });
  return { stdout: res.stdout, stderr: res.stderr, status: res.status };
}

const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

/** What bash offers after `words` (the last one is the word being completed). */
function bashComplete(words: string[]): string[] {
  const script = [
    `source ${quote(bashScript)}`,
    `COMP_WORDS=(${words.map(quote).join(' ')}); COMP_CWORD=${words.length - 1}`,
    `_${NAME}_yargs_completions`,
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const res = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8', env: { PATH: `${bin}:${process.env.PATH}`, SHELL: '/bin/bash' } });
  expect(res.stderr).toBe('');
  return res.stdout.split('\n').filter((line) => line !== '');
}

beforeAll(() => {
  bin = mkdtempSync(join(tmpdir(), 'sab-completion-'));
  writeFileSync(join(bin, NAME), `#!/bin/sh\nexec ${quote(process.execPath)} ${quote(inject('sabCli'))} "$@"\n`);
  chmodSync(join(bin, NAME), 0o755);
  const script = run(['completion']);
  expect(script).toMatchObject({ status: 0, stderr: '' });
  bashScript = join(bin, 'completion.bash');
  writeFileSync(bashScript, script.stdout);
});

afterAll(() => rmSync(bin, { recursive: true, force: true }));

describe('bash completion', () => {
  it('the script registers a function that falls back to file names', () => {
    const res = spawnSync('bash', ['--norc', '--noprofile', '-c', `source ${quote(bashScript)}; complete -p ${NAME}`], { encoding: 'utf8' });
    expect(res.stdout).toContain(`-o default -F _${NAME}_yargs_completions ${NAME}`);
  });

  it.each([
    [[''], COMMANDS],
    [['li'], ['list-admins']],
    [['--dr'], ['--dry-run']],
    [['-c', '/etc/matrix-synapse', 'register', 'alice', '--password-'], ['--password-file', '--password-stdin']],
  ])('%j offers %j', (words, expected) => {
    expect(bashComplete([NAME, ...words]).sort()).toEqual([...expected].sort());
  });

  // An empty answer is what makes bash (`-o default`) and zsh (`_default`) complete file names.
  it.each(['-c', '--config', '--database-url', 'register alice --password-file'])(
    'after "%s" it offers nothing of its own, so the shell completes paths',
    (words) => {
      expect(bashComplete([NAME, ...words.split(' '), 'homes'])).toEqual([]);
    },
  );
});

describe('zsh completion', () => {
  it('prints a #compdef script when the shell is zsh', () => {
    const res = run(['completion'], '/usr/bin/zsh');
    expect(res).toMatchObject({ status: 0, stderr: '' });
    expect(res.stdout.split('\n')[0]).toBe(`#compdef ${NAME}`);
    expect(res.stdout).toContain(`compdef _${NAME}_yargs_completions ${NAME}`);
  });

  it('answers with descriptions, as _describe wants them', () => {
    const res = run(['--get-yargs-completions', NAME, ''], '/usr/bin/zsh');
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/^list-admins:List every server admin/m);
    expect(res.stdout).toMatch(/^promote:\S/m);
  });
});
