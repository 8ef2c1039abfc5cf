import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseUserArg, validateNewLocalpart } from '../../src/synapse/user-id.js';

const SERVER = 'example.org';

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as UsageError).message;
  }
  throw new Error('expected a UsageError');
}

describe('parseUserArg', () => {
  it.each([
    ['alice', '@alice:example.org', 'alice'],
    ['@alice:example.org', '@alice:example.org', 'alice'],
    // Historical IDs that Synapse would no longer register but that exist on old servers.
    ['@Alice:example.org', '@Alice:example.org', 'Alice'],
    ['Bob', '@Bob:example.org', 'Bob'],
    ['@what!ever~:example.org', '@what!ever~:example.org', 'what!ever~'],
    ['_bridge_user', '@_bridge_user:example.org', '_bridge_user'],
    ['12345', '@12345:example.org', '12345'],
    ['@jürgen:example.org', '@jürgen:example.org', 'jürgen'],
  ])('%s', (arg, userId, localpart) => {
    expect(parseUserArg(arg, SERVER)).toEqual({ userId, localpart });
  });

  it('keeps a port in the server name', () => {
    expect(parseUserArg('@alice:example.org:8448', 'example.org:8448').userId).toBe('@alice:example.org:8448');
  });

  it('refuses an ID of another server, naming both servers', () => {
    const message = usageMessage(() => parseUserArg('@alice:other.net', SERVER));
    expect(message).toContain('"other.net"');
    expect(message).toContain('"example.org"');
  });

  it('compares server names exactly, as Synapse does', () => {
    expect(() => parseUserArg('@alice:Example.org', SERVER)).toThrow(UsageError);
  });

  it.each([
    ['', /empty localpart/],
    ['@', /lacks ":<server name>"/],
    ['@alice', /Give @alice:example.org or just the localpart "alice"/],
    ['@:example.org', /empty localpart/],
    ['alice:example.org', /like @alice:example.org/],
    ['al ice', /U\+0020/],
    ['alice\n', /U\+000A/],
    ['@al\tice:example.org', /U\+0009/],
  ])('refuses %j', (arg, message) => {
    expect(usageMessage(() => parseUserArg(arg, SERVER))).toMatch(message);
  });
});

describe('validateNewLocalpart', () => {
  it.each(['alice', 'a', 'a.b_c=d-e/f+g', '0day', 'bot-1', 'x'.repeat(255 - '@:example.org'.length)])(
    'accepts %j',
    (localpart) => {
      expect(() => validateNewLocalpart(localpart, SERVER)).not.toThrow();
    },
  );

  it.each([
    ['', /needs a localpart: use a-z, 0-9 and the symbols \. _ = - \/ \+/],
    ['Alice', /must be lower case: use "alice" instead of "Alice"/],
    ['al ice', /contains U\+0020\. Synapse allows only a-z, 0-9/],
    ['al!ce#', /contains '!' \(U\+0021\), '#' \(U\+0023\)/],
    ['alice:x', /':' \(U\+003A\)/],
    ['jürgen', /'ü' \(U\+00FC\)/],
    ['_alice', /begins with '_'.*allow_underscore_prefixed_localpart/],
    ['12345', /reserves numeric user IDs for guest users/],
    ['x'.repeat(256 - '@:example.org'.length), /256 characters long; Synapse allows at most 255.*at most 242 characters/],
  ])('refuses %j', (localpart, message) => {
    expect(usageMessage(() => validateNewLocalpart(localpart, SERVER))).toMatch(message);
  });

  it('allows a leading underscore when homeserver.yaml does', () => {
    expect(() => validateNewLocalpart('_alice', SERVER, { allowUnderscorePrefix: true })).not.toThrow();
  });

  it('counts the server name into the 255 characters', () => {
    const localpart = 'x'.repeat(200);
    expect(() => validateNewLocalpart(localpart, 'a'.repeat(53))).not.toThrow(); // exactly 255
    expect(() => validateNewLocalpart(localpart, 'a'.repeat(54))).toThrow(/255/);
  });
});
