// Boolean options as scripts write them (Jinja True/False, YAML yes/no, shell 1/0): parsing only,
// no database. What the values do to users is in the command table (test/synapse-cases/).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { BOOLEAN_OPTIONS } from '../../src/commands/boolean-options.js';
import { CATALOG } from '../../src/commands/catalog.js';
import { readBooleanOptions } from '../../src/commands/cli-options.js';
import { cli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-tree.js';

const TRUE_SPELLINGS = ['true', 'True', 'TRUE', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', '1'];
const FALSE_SPELLINGS = ['false', 'False', 'FALSE', 'no', 'No', 'NO', 'off', 'Off', 'OFF', '0'];
const NOT_BOOLEANS = ['', 'maybe', 'y', 'n', 'ja', '2', '-1', 'truee', ' true', 'None', 'null'];

const read = (argv: string[]) => readBooleanOptions(argv, [{ name: 'admin' }, { name: 'dry-run' }, { name: 'yes', alias: 'y' }]);

describe('readBooleanOptions', () => {
  it.each(TRUE_SPELLINGS)('reads --admin=%s as --admin', (v) => {
    expect(read(['register', 'alice', `--admin=${v}`])).toEqual({ argv: ['register', 'alice', '--admin'], values: new Map([['admin', true]]) });
  });

  it.each(FALSE_SPELLINGS)('reads --admin=%s as --no-admin', (v) => {
    expect(read(['register', `--admin=${v}`, 'alice'])).toEqual({ argv: ['register', '--no-admin', 'alice'], values: new Map([['admin', false]]) });
  });

  it.each(NOT_BOOLEANS)('refuses --admin=%j, naming the option and the spellings, not the value', (v) => {
    const { problem } = read(['register', 'alice', `--admin=${v}`]);
    expect(problem?.exitCode).toBe(2);
    expect(problem?.message).toMatch(/^The value given to --admin is not a boolean\. .*true\/false, yes\/no, on\/off or 1\/0 \(any case\)/);
  });

  it('reads --no-x=VALUE as x = not VALUE, as yargs does', () => {
    expect(read(['--no-admin=false']).argv).toEqual(['--admin']);
    expect(read(['--no-admin=True']).argv).toEqual(['--no-admin']);
    expect(read(['--no-admin=0']).argv).toEqual(['--admin']);
  });

  it('takes the camelCase name and the short alias', () => {
    expect(read(['--dryRun=yes', '-y=0']).argv).toEqual(['--dry-run', '--no-yes']);
  });

  it('takes a separate true or false as the value, exactly as yargs does, and nothing else', () => {
    expect(read(['--admin', 'false', 'alice']).argv).toEqual(['--no-admin', 'alice']);
    expect(read(['-y', 'true', 'promote']).argv).toEqual(['--yes', 'promote']);
    // yargs leaves these for the positionals; so does the reader.
    expect(read(['--admin', 'False']).argv).toEqual(['--admin', 'False']);
    expect(read(['--no-admin', 'true']).argv).toEqual(['--no-admin', 'true']);
  });

  it.each([
    [['--admin', '--no-admin']],
    [['--no-admin', '--admin']],
    [['--admin=yes', '--admin=no']],
    [['--admin', 'false', '--admin']],
    [['--no-admin=false', '--no-admin']],
  ])('refuses %j as contradictory', (argv) => {
    expect(read(argv).problem?.message).toMatch(/^--admin is given both as true and as false .* Give it once\.$/);
  });

  it('lets the same value be repeated', () => {
    expect(read(['--admin', '--admin=True', '--no-admin=no']).problem).toBeUndefined();
  });

  it('leaves everything after -- alone', () => {
    expect(read(['--admin=yes', '--', '--admin=maybe', '--no-admin'])).toEqual({
      argv: ['--admin', '--', '--admin=maybe', '--no-admin'],
      values: new Map([['admin', true]]),
    });
  });

  it('leaves options that are not boolean alone', () => {
    expect(read(['--displayname=yes', '--adminx=maybe', '-c=x'])).toEqual({ argv: ['--displayname=yes', '--adminx=maybe', '-c=x'], values: new Map() });
  });
});

describe('boolean options on the command line', () => {
  it('knows every boolean option of every command, and no builder declares one past booleanOption() (compared with --help)', async () => {
    const seen = new Set<string>();
    // yargs prints help with console.log, not on the Io's stdout.
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      for (const command of CATALOG.map((c) => c.name)) {
        log.mockClear();
        expect((await cli([command, '--help'])).code).toBe(0);
        const help = log.mock.calls.flat().join('\n');
        // One entry per option; a long description wraps [boolean] onto the next line.
        for (const entry of help.split(/\n(?=\s+(?:-\w, )?--)/)) {
          const name = /^\s+(?:-\w, )?--([a-z-]+)/.exec(entry)?.[1];
          if (name !== undefined && entry.includes('[boolean]')) seen.add(name);
        }
      }
    } finally {
      log.mockRestore();
    }
    seen.delete('help');
    seen.delete('version');
    expect([...seen].sort()).toEqual(BOOLEAN_OPTIONS.map((o) => o.name).sort());
  });

  it.each(BOOLEAN_OPTIONS.map((o) => o.name))('refuses --%s=maybe with exit 2, naming the option', async (name) => {
    const run = await cli(['--json', 'list-admins', `--${name}=maybe`]);
    expect(run.code).toBe(2);
    expect(run.json().error.message).toMatch(new RegExp(`^The value given to --${name} is not a boolean.*yes/no`));
  });

  it.each([
    ['--json=True', true],
    ['--json=yes', true],
    ['--json=1', true],
    ['--json=no', false],
    ['--json=False', false],
    ['--no-json=false', true],
  ])('prints a usage error found by yargs as JSON exactly when %s means --json', async (flag, json) => {
    const run = await cli([flag, 'frobnicate']);
    expect(run.code).toBe(2);
    if (json) expect(run.json()).toMatchObject({ ok: false, error: { code: 2 } });
    else expect(run.stdout).toBe('');
  });

  it('reads --verbose=yes as --verbose and --verbose=off as none', async () => {
    const dir = tempDir('sab-bool-');
    writeFileSync(join(dir, 'homeserver.yaml'), 'server_name: example.test\ndatabase:\n  name: sqlite3\n  args:\n    database: missing.db\n');
    const on = await cli(['--verbose=yes', 'list-admins'], { cwd: dir });
    const off = await cli(['--verbose=off', 'list-admins'], { cwd: dir });
    expect(on.stderr).toMatch(/Read config: .*homeserver\.yaml/);
    expect(off.stderr).not.toMatch(/Read config/);
    expect([on.code, off.code]).toEqual([4, 4]);
  });

  it('refuses a contradiction in a global option too, as JSON when --json holds', async () => {
    const run = await cli(['--json', '--dry-run', '--dry-run=no', 'list-admins']);
    expect(run.code).toBe(2);
    expect(run.json().error.message).toMatch(/--dry-run is given both as true and as false/);
  });

  it('explains `--admin True`: a boolean takes its value after "="', async () => {
    const run = await cli(['register', 'alice', '--admin', 'True']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Unexpected extra argument "True": give a boolean option its value after "=", like --admin=True/);
  });

  it('still never repeats a stray word that is no boolean spelling', async () => {
    const run = await cli(['register', 'alice', '--admin', 'Hunter2-secret']);
    expect(run.code).toBe(2);
    expect(run.stderr).not.toMatch(/Hunter2/);
  });

  it('names an option of another command as unknown, whatever its value', async () => {
    const run = await cli(['promote', 'alice', '--admin=yes']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Unknown option --admin/);
  });
});
