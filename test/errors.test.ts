// The exit-code table is a contract with scripts: the classes, --help and the README must agree.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AccountStateError,
  ConfigError,
  DatabaseError,
  ERROR_KINDS,
  EXIT_CODE_HELP,
  ExitCode,
  UsageError,
  UserExistsError,
  UserNotFoundError,
  exitCodeOf,
} from '../src/errors.js';

describe('exit codes', () => {
  it.each([
    [new UsageError('x'), 2],
    [new ConfigError('x'), 3],
    [new DatabaseError('x'), 4],
    [new UserNotFoundError('@a:b', 'x'), 5],
    [new UserExistsError('@a:b', 'x'), 6],
    [new AccountStateError('x'), 7],
    [new Error('a bug'), 1],
    ['not even an error', 1],
  ])('%s exits with %i', (err, code) => {
    expect(exitCodeOf(err)).toBe(code);
  });

  it('documents every code once, in order', () => {
    expect(EXIT_CODE_HELP.map(([code]) => code)).toEqual(Object.values(ExitCode));
  });

  it('the README documents the same codes', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('## Exit codes'));
    const codes = [...table.matchAll(/^\| (\d) \|/gm)].map((m) => Number(m[1]));
    expect(codes).toEqual(Object.values(ExitCode));
  });

  it('the README names every error kind with its exit code', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const text = readme.slice(readme.indexOf('where `kind` is one of'), readme.indexOf('Warnings go to stderr')).replace(/\s+/g, ' ');
    const named = [...text.matchAll(/`([a-z_]+)`(?:,| \((\d)\))/g)];
    // Each run of names ends in the exit code they share.
    const documented: Record<string, number> = {};
    let pending: string[] = [];
    for (const [, kind, code] of named) {
      pending.push(kind!);
      if (code !== undefined) {
        for (const k of pending) documented[k] = Number(code);
        pending = [];
      }
    }
    expect(documented).toEqual(ERROR_KINDS);
  });
});
