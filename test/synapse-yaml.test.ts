import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { parseSynapseYaml, pyGet, pyTruthy } from '../src/synapse-yaml.js';

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
