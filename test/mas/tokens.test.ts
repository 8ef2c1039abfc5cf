import { crc32 } from 'node:zlib';
import { decodeTime } from 'ulid';
import { describe, expect, inject, it } from 'vitest';
import { newMasId, ulidOf } from '../../src/mas/ids.js';
import { withAdmin } from '../helpers/postgres.js';
import { isWellFormedMasToken, newCompatAccessToken, newCompatDeviceId, tokenChecksum, unscopableDeviceChar } from '../../src/mas/tokens.js';

// Tokens from MAS's tests (crates/handlers/src/compat/login.rs), each with a valid checksum.
const MAS_TOKENS = [
  { token: 'mct_cxG6gZXyvelQWW9XqfNbm5KAQovodf_XvJz43', crc: 2822118451, checksum: 'XvJz43' },
  // Five base62 digits: padded with a leading '0'.
  { token: 'mct_bUTa4XIh92RARTPTjqQrCZLAkq2ild_0VsYE6', crc: 92128683, checksum: '0VsYE6' },
];

describe('compat access tokens', () => {
  it('uses the standard CRC-32 (check value of "123456789")', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
  });

  for (const { token, crc, checksum } of MAS_TOKENS) {
    it(`accepts MAS's ${token}`, () => {
      const body = token.slice(0, -7);
      expect(crc32(body)).toBe(crc);
      expect(tokenChecksum(body)).toBe(checksum);
      expect(isWellFormedMasToken(token)).toBe(true);
    });
  }

  it('refuses a corrupted token, a wrong checksum and other shapes', () => {
    const good = MAS_TOKENS[0]!.token;
    const bad = [
      good.replace('cxG6', 'cxG7'), // body changed, checksum not
      good.replace('XvJz43', 'XvJz44'),
      good.replace('XvJz43', '0XvJz4'),
      good.slice(0, -1),
      `${good}3`,
      good.replace('_XvJz43', 'XvJz43'),
      good.replace('mct_', 'mct__'),
      `x${good}`,
      '',
      'syt_YWxpY2U_xWhVFGSYmjKZlLeUrzPq_1Ks3Fd', // a Synapse token: not MAS's format
    ];
    for (const token of bad) expect(isWellFormedMasToken(token), token).toBe(false);
  });

  it("refuses a prefix MAS does not know even with a matching checksum, as MAS's TokenType::check does", () => {
    const body = 'mzz_cxG6gZXyvelQWW9XqfNbm5KAQovodf';
    expect(isWellFormedMasToken(`${body}_${tokenChecksum(body)}`)).toBe(false);
    for (const prefix of ['mat', 'mar', 'mct', 'mcr', 'mpt']) {
      const known = `${prefix}_cxG6gZXyvelQWW9XqfNbm5KAQovodf`;
      expect(isWellFormedMasToken(`${known}_${tokenChecksum(known)}`), prefix).toBe(true);
    }
    // MAS checks the random part's length only, not its characters.
    const dashed = 'mct_cxG6gZXyvelQWW9XqfNbm5KAQov-df';
    expect(isWellFormedMasToken(`${dashed}_${tokenChecksum(dashed)}`)).toBe(true);
  });

  it('makes well-formed, distinct mct_ tokens', () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const token = newCompatAccessToken();
      expect(token).toMatch(/^mct_[A-Za-z0-9]{30}_[A-Za-z0-9]{6}$/);
      expect(isWellFormedMasToken(token)).toBe(true);
      tokens.add(token);
    }
    expect(tokens.size).toBe(200);
  });

  it('makes device ids of ten alphanumerics, as MAS generates them', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const id = newCompatDeviceId();
      expect(id).toMatch(/^[A-Za-z0-9]{10}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(200);
  });
});

/** The 128 bits of a Crockford base32 ULID, decoded here independently of the ulid package. */
function ulidBits(ulid: string): bigint {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  return [...ulid].reduce((n, c) => n * 32n + BigInt(alphabet.indexOf(c)), 0n);
}

describe('device ids MAS can carry in a scope', () => {
  // MAS's nqchar (crates/oauth2-types/src/scope.rs): '!', '#'..'Z', ']'..'}' (its Rust ranges
  // exclude their ends, so '[' and '~' fail although RFC 6749 allows them).
  const allowed = (c: string) => c === '!' || (c >= '#' && c <= 'Z') || (c >= ']' && c <= '}');

  it('takes exactly the characters MAS takes, over all of ASCII and past it', () => {
    for (let code = 0; code < 0x180; code++) {
      const c = String.fromCodePoint(code);
      expect([code, unscopableDeviceChar(`A${c}B`) === undefined]).toEqual([code, code < 0x80 && allowed(c)]);
    }
  });

  it('names the first character it refuses, readably', () => {
    expect(unscopableDeviceChar('my phone')).toBe('U+0020 (space)');
    expect(unscopableDeviceChar('a"b\\c')).toBe(`U+0022 '"'`);
    expect(unscopableDeviceChar('x\ty')).toBe('U+0009');
    expect(unscopableDeviceChar('😀')).toBe("U+1F600 '😀'");
    expect(unscopableDeviceChar('ABCDEFGHIJ')).toBeUndefined();
  });

  it('takes every device id MAS generates', () => {
    for (let i = 0; i < 50; i++) expect(unscopableDeviceChar(newCompatDeviceId())).toBeUndefined();
  });
});

describe('MAS row ids', () => {
  const NOW = Date.UTC(2026, 10, 28, 4, 30, 15, 123);

  it('is a lowercase uuid holding a ULID made at the given time', () => {
    const id = newMasId(NOW);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const ulid = ulidOf(id);
    expect(ulid).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(decodeTime(ulid)).toBe(NOW);
    // Uuid::from_u128(ulid): the uuid's hex is the ULID's 128 bits, big-endian.
    expect(BigInt(`0x${id.replaceAll('-', '')}`)).toBe(ulidBits(ulid));
    expect(Number(BigInt(`0x${id.replaceAll('-', '').slice(0, 12)}`))).toBe(NOW);
  });

  it('round trips between uuid and ULID, whatever the uuid text case', () => {
    const id = newMasId(NOW);
    expect(ulidOf(id.toUpperCase())).toBe(ulidOf(id));
    expect(ulidOf('01890a5d-ac96-774b-bcce-b302099a8057')).toBe('01H455VB4PEX5VSKNK084SN02Q');
  });

  it('puts exactly the given time in the id, also at the edges of the range', () => {
    for (const time of [0, 1, 2 ** 48 - 1]) expect(decodeTime(ulidOf(newMasId(time))), String(time)).toBe(time);
  });

  it('refuses a time a ULID cannot hold instead of using another one', () => {
    for (const time of [-1, 1.5, Number.NaN, 2 ** 48]) expect(() => newMasId(time), String(time)).toThrow();
  });

  it("sorts ids made later after ids made earlier, in PostgreSQL's uuid order (bytewise, so as hex text)", () => {
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push(newMasId(NOW + i), newMasId(NOW + i));
    for (let i = 2; i < ids.length; i++) {
      expect(ids[i - 2]! < ids[i]!).toBe(true);
      expect(ulidOf(ids[i - 2]!) < ulidOf(ids[i]!)).toBe(true);
    }
    expect([...ids].reverse().sort().map((id) => decodeTime(ulidOf(id)))).toEqual(ids.map((id) => decodeTime(ulidOf(id))));
  });

  it('sorts the same on a real PostgreSQL uuid column', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => newMasId(NOW + i * 997));
    const shuffled = [...ids].sort(() => Math.random() - 0.5);
    const sorted = await withAdmin(inject('sabPostgres').adminUrl, async (client) => {
      const { rows } = await client.query<{ id: string }>('SELECT u::uuid::text AS id FROM unnest($1::text[]) AS u ORDER BY u::uuid', [shuffled]);
      return rows.map((row) => row.id);
    });
    expect(sorted).toEqual(ids);
  });

  it('makes different ids within one millisecond', () => {
    expect(new Set(Array.from({ length: 100 }, () => newMasId(NOW))).size).toBe(100);
  });
});
