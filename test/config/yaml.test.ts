import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { parseSynapseYaml, pyGet, pyTruthy, readSynapseYaml } from '../../src/config/yaml.js';
import { configError } from '../helpers/config-error.js';
import { tempTree } from '../helpers/temp-tree.js';

const value = (scalar: string): unknown => (parseSynapseYaml(`v: ${scalar}\n`, 'test.yaml') as { v: unknown }).v;

describe('parseSynapseYaml reads scalars as PyYAML does', () => {
  it.each([
    ['yes', true],
    ['On', true],
    ['off', false],
    ['y', 'y'],
    ['n', 'n'],
    ['0777', 511],
    ['089', '089'],
    ['1_000', 1000],
    ['1e5', '1e5'],
    ['1.5e+3', 1500],
    ['.5', 0.5],
    ['1:20', 80],
    ['0:20', '0:20'],
    ['~', null],
    ['', null],
  ])('%j is %j', (scalar, expected) => {
    expect(value(scalar)).toEqual(expected);
  });

  it('lets a repeated key win and follows merge keys', () => {
    expect(parseSynapseYaml('a: 1\na: 2\nbase: &b {x: 1}\nc: {<<: *b, y: 2}\n', 'test.yaml')).toEqual({
      a: 2,
      base: { x: 1 },
      c: { x: 1, y: 2 },
    });
  });

  it.each([
    ['a: 1\nb: [1,\n', /line 3, column 1/],
    ['a: 1\n---\nb: 2\n', /line 2, column 1: a second YAML document/],
    ['a: 1\nb: !vault x\n', /line 2, column 4, in b: a tag \(!name\) that Synapse cannot read/],
  ])('refuses %j with the line', (yaml, message) => {
    expect(() => parseSynapseYaml(yaml, 'hs.yaml')).toThrow(ConfigError);
    expect(() => parseSynapseYaml(yaml, 'hs.yaml')).toThrow(message);
  });

  // Deeper, the yaml package overflowed the stack (exit 1), or at 20,000 levels crashed out of memory.
  it.each([
    ['101 flow levels', `a: ${'['.repeat(101)}${']'.repeat(101)}\n`, /line 1, column 103: lists or mappings nested more than 100 levels deep/],
    ['20,000 flow levels', `a: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`, /line 1, column 103: lists or mappings nested more than 100 levels deep/],
    ['150 block levels', `a:\n${Array.from({ length: 150 }, (_, i) => `${' '.repeat(i + 1)}b${i}:`).join('\n')} 1\n`, /line 101, column 101: lists or mappings nested/],
  ])('refuses %s with the line', (_name, yaml, message) => {
    expect(() => parseSynapseYaml(yaml, 'hs.yaml')).toThrow(message);
  });
});

describe('Python semantics', () => {
  it.each([
    [{}, false],
    [[], false],
    ['', false],
    [0, false],
    [null, false],
    [{ a: 1 }, true],
    ['false', true],
  ])('pyTruthy(%j) is %j', (v, expected) => {
    expect(pyTruthy(v)).toBe(expected);
  });

  it('pyGet uses the default only for a missing key', () => {
    expect(pyGet({ a: null }, 'a', 'default')).toBeNull();
    expect(pyGet({}, 'a', 'default')).toBe('default');
  });
});

/** Reads `bytes` from a real file, as a config file is read. */
async function readBytes(bytes: Buffer): Promise<unknown> {
  const file = join(await tempTree({}), 'hs.yaml');
  await writeFile(file, bytes);
  return readSynapseYaml(file, 'hint');
}

// Each as measured with PyYAML 6.0.3 reading a file opened the way Synapse opens it (open(path)).
describe('the bytes of a config file, as Synapse reads them', () => {
  it.each([
    ['a UTF-8 BOM at the start', Buffer.from('\uFEFFa: 1\n'), { a: 1 }],
    ['a BOM later on, kept as a character', Buffer.from('a: 1\n\uFEFFb: 2\n'), { a: 1, '\uFEFFb': 2 }],
    ['U+FFFD written in the file', Buffer.from('a: x\uFFFDy\n'), { a: 'x\uFFFDy' }],
    ['a character outside the BMP', Buffer.from('a: x\u{1F600}y\n'), { a: 'x\u{1F600}y' }],
    ['CR line ends', Buffer.from('a: 1\rb: 2\r'), { a: 1, b: 2 }],
    ['a tab inside quotes', Buffer.from('a: "x\ty"\n'), { a: 'x\ty' }],
  ])('accepts %s', async (_name, bytes, expected) => {
    expect(await readBytes(bytes)).toEqual(expected);
  });

  it.each([
    ['invalid UTF-8', Buffer.from([...Buffer.from('a: 1\nb: x'), 0xff, ...Buffer.from('y\n')]), /not valid UTF-8: line 2, column 5 \(byte 9 of the file\)\./],
    ['a UTF-8-encoded surrogate', Buffer.from([...Buffer.from('a: x'), 0xed, 0xa0, 0x80, 0x0a]), /not valid UTF-8: line 1, column 5 \(byte 4/],
    ['a truncated sequence at the end', Buffer.from([...Buffer.from('a: \u00e9\n# '), 0xc3]), /not valid UTF-8: line 2, column 3 \(byte 8/],
    ['UTF-16 with a BOM', Buffer.from('\uFEFFa: 1\n', 'utf16le'), /not valid UTF-8: line 1, column 1 \(byte 0 of the file\): it looks like UTF-16 little-endian, by its byte order mark\. Synapse/],
    ['UTF-32 with a BOM', Buffer.from([0xff, 0xfe, 0, 0, 0x61, 0, 0, 0]), /not valid UTF-8: line 1, column 1 \(byte 0 of the file\): it looks like UTF-32 little-endian, by its byte order mark/],
    ['UTF-16 without a BOM', Buffer.from('server_name: example.test\n', 'utf16le'), /not valid UTF-8: line 1, column 1 \(byte 0 of the file\): it looks like UTF-16 or UTF-32 without a byte order mark/],
    ['a NUL byte', Buffer.from('a: 1\nb: x\0y\n'), /line 2, column 5, in b: a NUL or control character/],
    ['\\x01 in a comment', Buffer.from('# x\x01\na: 1\n'), /line 1, column 4: a NUL or control character/],
    ['\\x0b in double quotes', Buffer.from('a: "x\x0b"\n'), /line 1, column 6, in a: a NUL/],
    ['\\x1b (ESC)', Buffer.from('a: x\x1b\n'), /line 1, column 5, in a: a NUL/],
    ['DEL', Buffer.from('a: x\x7f\n'), /line 1, column 5, in a: a NUL/],
    ['a C1 control character', Buffer.from('a: x\u0080\n'), /line 1, column 5, in a: a NUL/],
    ['U+FFFE', Buffer.from('a: x\uFFFE\n'), /line 1, column 5, in a: a NUL/],
  ])('refuses %s with the line, as Synapse does', async (_name, bytes, message) => {
    const text = await configError(readBytes(bytes));
    expect(text).toMatch(message);
    expect(text).toMatch(/hs\.yaml/);
  });
});

// Measured with PyYAML 6.0.3 (yaml.safe_load): where it refuses a tab (line and column of its
// "found character '\t' that cannot start any token"), and what it reads where it allows one.
describe('tabs, where PyYAML allows them and where it does not', () => {
  it.each([
    ['key:\tvalue\n', 1, 5],
    ['key: \tvalue\n', 1, 6],
    ['key: value\t\n', 1, 11],
    ['key: value\t# c\n', 1, 11],
    ['key: value \t# c\n', 1, 12],
    ['key: a\tb\n', 1, 7],
    ['a:\n\tb: 1\n', 2, 1],
    ['a:\n  \tb: 1\n', 2, 3],
    ['a: 1\n\t\nb: 2\n', 2, 1],
    ['\t# c\na: 1\n', 1, 1],
    ['key\t: value\n', 1, 4],
    ['a: [1,\t2]\n', 1, 7],
    ['a: {x:\t1}\n', 1, 7],
    ['a:\n- \t1\n', 2, 3],
    ['-\t1\n', 1, 2],
    ['a: "x"\t\n', 1, 7],
    ['a: 1\n\t', 2, 1],
    ['a:\t\n  b: 1\n', 1, 3],
    ['a: &x\t1\n', 1, 6],
    ['?\ta\n: 1\n', 1, 2],
    ['a: x\n  \ty\n', 2, 3],
    ['a: |\n\tx\n', 2, 1],
    ['a: |\n  x\n\t\n  y\n', 3, 1],
    ['a: |\n  x\nb: 1\t\n', 3, 5],
    ['a: |\t\n  x\n', 1, 5],
    ['a: | \t# c\n  x\n', 1, 6],
    ['a: |\n  x\n \ty\n', 3, 2],
    ['a:\n  b: |\n    x\n    \ty\n   \tz\n', 5, 4],
  ])('refuses %j at line %i, column %i', (yaml, line, col) => {
    expect(() => parseSynapseYaml(yaml, 'hs.yaml')).toThrow(ConfigError);
    expect(() => parseSynapseYaml(yaml, 'hs.yaml')).toThrow(new RegExp(`line ${line}, column ${col}(, in [a-z.]+)?: a tab`));
  });

  it.each([
    ['# a\tb\na: 1\n', { a: 1 }],
    ['a: "x\ty"\n', { a: 'x\ty' }],
    ["a: 'x\ty'\n", { a: 'x\ty' }],
    ['a: |\n  x\ty\n', { a: 'x\ty\n' }],
    ['a: |\n  x\n  \ty\n', { a: 'x\n\ty\n' }],
    ['a: |\n  x\n  \t\n  y\n', { a: 'x\n\t\ny\n' }],
    ['a: 1 # c\t\n', { a: 1 }],
    ['a: |2\n  \tx\n', { a: '\tx\n' }],
    ['a: >\n  x\n  \ty\n', { a: 'x\n\ty\n' }],
    ['a: |\n \t\n  x\n', { a: '\t\n x\n' }],
    ['a: |\n  x\t\n', { a: 'x\t\n' }],
  ])('accepts %j as PyYAML reads it', (yaml, expected) => {
    expect(parseSynapseYaml(yaml, 'hs.yaml')).toEqual(expected);
  });
});

// A password, pepper or secret key written unquoted that YAML cannot read: the error must say
// where (file, line, key) and never repeat any of it.
describe('YAML errors never repeat a value', () => {
  const BODY = 'Zq7Wx9KpVb3M';
  const fragments = Array.from({ length: BODY.length - 3 }, (_, i) => BODY.slice(i, i + 4));
  const SECRETS = [
    `*${BODY}`, `!${BODY}`, `|${BODY}`, `>${BODY}`, `&${BODY}`, `@${BODY}`, `\`${BODY}`, `%${BODY}`,
    `"${BODY}`, `'${BODY}`, `[${BODY}`, `{${BODY}`, `]${BODY}`, `}${BODY}`, `,${BODY}`, `?${BODY}`, `-${BODY}`,
    `${BODY}: x`, `x: ${BODY}`, `${BODY.slice(0, 6)}\t${BODY.slice(6)}`, `${BODY}\t`, `${BODY}\u0001`, `${BODY}\u0000x`,
    `${BODY}"`, `"\\q${BODY}"`, `*${BODY} *${BODY}`, `!!${BODY} x`, `${BODY} #${BODY}\t`,
  ];
  const PLACES: Array<[string, (s: string) => string]> = [
    ['database password', (s) => `database:\n  name: psycopg2\n  args:\n    user: synapse\n    password: ${s}\n    host: localhost\n`],
    ['pepper', (s) => `password_config:\n  enabled: true\n  pepper: ${s}\n`],
    ['macaroon_secret_key', (s) => `server_name: example.org\nmacaroon_secret_key: ${s}\nreport_stats: false\n`],
    ['registration_shared_secret', (s) => `registration_shared_secret: ${s}\n`],
    ['form_secret in flow style', (s) => `form_secret: {value: ${s}, other: 1}\n`],
    ['database in flow style', (s) => `database: {name: psycopg2, args: {password: ${s}, host: db}}\n`],
    ['a list', (s) => `secrets: [${s}, other]\n`],
    ['a list item mapping', (s) => `listeners:\n  - port: 8008\n    secret: ${s}\n`],
    ['a block list', (s) => `keys:\n  - ${s}\n`],
    ['a plain multi-line value', (s) => `pepper: first part\n  ${s}\n`],
    ['a plain multi-line value, less indented', (s) => `a:\n  pepper: first part\n ${s}\n`],
    ['a double-quoted multi-line value', (s) => `form_secret: "first\n  ${s} last"\n`],
    ['a single-quoted multi-line value', (s) => `form_secret: 'first\n  ${s} last'\n`],
    ['a block scalar', (s) => `signing_key: |\n  ed25519 a_bcd\n  ${s}\n`],
    ['a value on the next line', (s) => `turn_shared_secret:\n  ${s}\n`],
    ['a line of its own', (s) => `server_name: x\n${s}\n`],
    ['a key of its own', (s) => `email:\n  smtp_pass: ${s}\n  smtp_user: bob\n`],
  ];
  const runs = PLACES.flatMap(([place, make]) => SECRETS.map((secret) => [place, secret, make(secret)] as const));

  it.each(runs)('%s: %j', (_place, _secret, yaml) => {
    let message: string | undefined;
    try {
      parseSynapseYaml(yaml, 'hs.yaml');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    if (message === undefined) return; // valid YAML: nothing to leak
    for (const fragment of fragments) expect(message).not.toContain(fragment);
    expect(message).toMatch(/^hs\.yaml is not valid YAML: line \d+, column \d+/);
  });

  it('refuses the usual culprits as config errors that name the key', () => {
    for (const start of ['*', '!', '|', '>', '@', '`', '%']) {
      expect(() => parseSynapseYaml(PLACES[0]![1](`${start}${BODY}`), 'hs.yaml')).toThrow(/line 5, column \d+, in database\.args\.password: /);
      expect(() => parseSynapseYaml(PLACES[1]![1](`${start}${BODY}`), 'hs.yaml')).toThrow(/line 3, column \d+, in password_config\.pepper: /);
      expect(() => parseSynapseYaml(PLACES[2]![1](`${start}${BODY}`), 'hs.yaml')).toThrow(/line 2, column \d+, in macaroon_secret_key: /);
    }
  });

  it('names the key a multi-line value belongs to, not text inside it', () => {
    expect(() => parseSynapseYaml(`pepper: abc\n  ${BODY}: x\n`, 'hs.yaml')).toThrow(/, in pepper: /);
    expect(() => parseSynapseYaml(`a:\n  pepper: "abc\n  ${BODY}: x\n`, 'hs.yaml')).toThrow(/, in a\.pepper: /);
    expect(() => parseSynapseYaml(`pepper: |\n  abc\n  ${BODY}: \u0001\n`, 'hs.yaml')).toThrow(/line 3, column \d+, in pepper: a NUL/);
  });
});

describe('aliases', () => {
  it('refuses an alias with no anchor as a config error, at its place', () => {
    expect(() => parseSynapseYaml('a: 1\nb: [x, *nothing]\n', 'hs.yaml')).toThrow(ConfigError);
    expect(() => parseSynapseYaml('a: 1\nb: [x, *nothing]\n', 'hs.yaml')).toThrow(/line 2, column 8, in b: an alias/);
    expect(() => parseSynapseYaml('b: *later\na: &later 1\n', 'hs.yaml')).toThrow(/line 1, column 4, in b: an alias/);
  });

  it('follows a reasonable number of aliases', () => {
    const yaml = 'base: &b {x: 1}\n' + Array.from({ length: 500 }, (_, i) => `k${i}: *b\n`).join('');
    expect((parseSynapseYaml(yaml, 'hs.yaml') as Record<string, unknown>).k499).toEqual({ x: 1 });
  });

  it('refuses a "billion laughs" file quickly, as a config error', () => {
    const levels = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const started = Date.now();
    expect(() => parseSynapseYaml(`${levels.join('\n')}\n`, 'hs.yaml')).toThrow(/hs\.yaml is refused: its aliases .* more than 10000 copies/);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
