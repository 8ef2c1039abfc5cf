// Access tokens with seeded randomness and a fixed clock: exact tokens, ids and expiry. The
// expected tokens were computed apart from this code (Python's zlib.crc32 and base64).
import { afterEach, describe, expect, it } from 'vitest';
import { dialectOf } from '../../src/database/dialect.js';
import { inspectSchema } from '../../src/synapse/schema.js';
import { TOKEN_ID_GAP, generateAccessToken, issueToken, type RandomBytes } from '../../src/synapse/tokens.js';
import type { UserContext } from '../../src/synapse/user-store.js';
import { freshDatabase, type FreshDatabase } from '../helpers/databases.js';
import { seedToken, seedUser } from '../helpers/seed.js';

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);

/** Bytes from a counter that goes on across calls: start, start + 1, ... (mod 256). */
function counterBytes(start = 0): RandomBytes {
  let next = start;
  return (n) => Buffer.from(Array.from({ length: n }, () => next++ % 256));
}

describe('generateAccessToken', () => {
  it("builds syt_<base64 localpart>_<20 letters>_<base62 crc32> as Synapse's auth handler does", () => {
    expect(generateAccessToken('alice', counterBytes())).toBe('syt_YWxpY2U_abcdefghijklmnopqrst_1TMI8I');
    // A non-ASCII localpart is base64 of its UTF-8 bytes, without padding.
    expect(generateAccessToken('ü', counterBytes())).toBe('syt_w7w_abcdefghijklmnopqrst_22jG0A');
  });

  it('skips bytes of 208 and above, so that every letter is equally likely', () => {
    // 200..207 give the first 8 letters; 208..255 are skipped; 0..11 give the rest.
    expect(generateAccessToken('bob', counterBytes(200))).toBe('syt_Ym9i_STUVWXYZabcdefghijkl_0UWksW');
  });
});

describe('issueToken', () => {
  let db: FreshDatabase | undefined;
  afterEach(async () => {
    await db?.cleanup();
    db = undefined;
  });

  async function context(): Promise<UserContext> {
    db = await freshDatabase('sqlite');
    const schema = await inspectSchema(db.knex, 'test');
    return { db: db.knex, dialect: dialectOf(db.knex), schema, serverName: 'example.test', now: () => NOW };
  }

  it('writes the exact token, an id far above the highest, and the expiry from the clock', async () => {
    const ctx = await context();
    await seedUser(ctx.db, { name: '@alice:example.test', admin: true });
    await seedToken(ctx.db, '@alice:example.test', 41, 'syt_old');
    const issued = await issueToken(ctx, '@alice:example.test', { expiresInMs: 3_600_000, randomBytes: counterBytes() });
    expect(issued).toEqual({
      userId: '@alice:example.test',
      accessToken: 'syt_YWxpY2U_abcdefghijklmnopqrst_1TMI8I',
      expiresAtMs: NOW + 3_600_000,
      deviceCreated: false,
      warnings: [],
    });
    const row = await ctx.db('access_tokens').first('id', 'token', 'valid_until_ms', 'last_validated').where({ token: issued.accessToken });
    expect(row).toEqual({ id: 41 + TOKEN_ID_GAP, token: issued.accessToken, valid_until_ms: NOW + 3_600_000, last_validated: NOW });
  });

  it('gives a never-expiring token no expiry, and warns that a non-admin gets 403 from the Admin API', async () => {
    const ctx = await context();
    await seedUser(ctx.db, { name: '@bob:example.test' });
    const issued = await issueToken(ctx, '@bob:example.test', { expiresInMs: null, deviceId: 'PHONE', randomBytes: counterBytes(200) });
    expect(issued).toMatchObject({ accessToken: 'syt_Ym9i_STUVWXYZabcdefghijkl_0UWksW', expiresAtMs: null, deviceCreated: true });
    expect(issued.warnings).toEqual([
      '@bob:example.test is not a server admin: the Admin API will answer 403. Run `promote @bob:example.test` if it should be.',
    ]);
    expect(await ctx.db('access_tokens').first('id', 'device_id', 'valid_until_ms')).toEqual({ id: TOKEN_ID_GAP, device_id: 'PHONE', valid_until_ms: null });
  });
});
