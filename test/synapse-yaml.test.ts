import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { parseSynapseYaml, pyGet, pyTruthy, readSynapseYaml } from '../src/synapse-yaml.js';
import { tempTree } from './helpers/temp-tree.js';

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
    ['a: 1\nb: !vault x\n', /line 2, column 4: Unresolved tag/],
  ])('refuses %j with the line', (yaml, message) => {
    expect(() => parseSynapseYaml(yaml, 'hs.yaml')).toThrow(ConfigError);
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

async function refusal(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).message;
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
    ['UTF-16 with a BOM', Buffer.from('\uFEFFa: 1\n', 'utf16le'), /not valid UTF-8: line 1, column 1 \(byte 0 of the file\) \(it looks like UTF-16\)/],
    ['a NUL byte', Buffer.from('a: 1\nb: x\0y\n'), /line 2, column 5: a NUL or control character/],
    ['\\x01 in a comment', Buffer.from('# x\x01\na: 1\n'), /line 1, column 4: a NUL or control character/],
    ['\\x0b in double quotes', Buffer.from('a: "x\x0b"\n'), /line 1, column 6: a NUL/],
    ['\\x1b (ESC)', Buffer.from('a: x\x1b\n'), /line 1, column 5: a NUL/],
    ['DEL', Buffer.from('a: x\x7f\n'), /line 1, column 5: a NUL/],
    ['a C1 control character', Buffer.from('a: x\u0080\n'), /line 1, column 5: a NUL/],
    ['U+FFFE', Buffer.from('a: x\uFFFE\n'), /line 1, column 5: a NUL/],
  ])('refuses %s with the line, as Synapse does', async (_name, bytes, message) => {
    const text = await refusal(readBytes(bytes));
    expect(text).toMatch(message);
    expect(text).toMatch(/hs\.yaml/);
  });
});
