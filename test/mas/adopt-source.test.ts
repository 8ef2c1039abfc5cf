// What adopt reads of a Synapse account (src/mas/adopt-source.ts), on both of Synapse's dialects and
// on schema 72 too: the columns and rows syn2mas reads, and nothing it leaves out.
import { afterEach, describe, expect, it } from 'vitest';
import { dialectOf } from '../../src/database/dialect.js';
import { readSynapseAccount } from '../../src/mas/adopt-source.js';
import { inspectSchema } from '../../src/synapse/schema.js';
import type { UserContext } from '../../src/synapse/user-store.js';
import { freshDatabase, type FreshDatabase } from '../helpers/databases.js';
import { seedUser } from '../helpers/seed.js';

const ALICE = '@Alice:example.test';
const HASH = '$2b$04$invalidinvalidinvalidinvalidinvalidinvalidinvalidinva';

describe.each([
  ['sqlite', 94],
  ['postgres', 94],
  ['sqlite', 72],
] as const)('readSynapseAccount on %s, schema %s', (dialect, variant) => {
  let db: FreshDatabase | undefined;
  afterEach(async () => {
    await db?.cleanup();
    db = undefined;
  });

  async function context(): Promise<UserContext> {
    db = await freshDatabase(dialect, variant);
    const schema = await inspectSchema(db.knex, 'test');
    return { db: db.knex, dialect: dialectOf(db.knex), schema, serverName: 'example.test', now: () => 0 };
  }

  it("reads the stored name, hash, flags, threepids, external ids, visible devices and the first use of each device's tokens", async () => {
    const ctx = await context();
    const bool = (b: boolean) => (dialect === 'sqlite' ? Number(b) : b);
    await seedUser(ctx.db, { name: ALICE, admin: true, passwordHash: HASH });
    await seedUser(ctx.db, { name: '@bob:example.test' });
    await ctx.db('user_threepids').insert([
      { user_id: ALICE, medium: 'msisdn', address: '447700900000', validated_at: 2, added_at: 2_000 },
      { user_id: ALICE, medium: 'email', address: 'alice@example.test', validated_at: 1, added_at: 1_000 },
      { user_id: '@bob:example.test', medium: 'email', address: 'bob@example.test', validated_at: 1, added_at: 1_000 },
    ]);
    await ctx.db('user_external_ids').insert({ auth_provider: 'oidc-dex', external_id: 's1', user_id: ALICE });
    await ctx.db('devices').insert([
      { user_id: ALICE, device_id: 'PHONE', display_name: 'Phone', last_seen: 5_000, ip: '192.0.2.1', user_agent: 'UA', hidden: bool(false) },
      { user_id: ALICE, device_id: 'KEYS', hidden: bool(true) },
      { user_id: ALICE, device_id: 'guest_device', hidden: bool(false) },
      { user_id: '@bob:example.test', device_id: 'BOBS', hidden: bool(false) },
    ]);
    await ctx.db('access_tokens').insert([
      { id: 1, user_id: ALICE, device_id: 'PHONE', token: 't1', last_validated: 4_000 },
      { id: 2, user_id: ALICE, device_id: 'PHONE', token: 't2', last_validated: 3_000 },
      // A puppet token is an admin's, not Alice's own: neither counted nor dated by.
      { id: 3, user_id: ALICE, device_id: 'PHONE', token: 't3', last_validated: 1_000, puppets_user_id: '@bob:example.test' },
    ]);
    // Found case-insensitively, as Synapse finds users; the stored spelling is what is carried.
    expect(await readSynapseAccount(ctx, '@alice:example.test')).toEqual({
      userId: ALICE,
      localpart: 'Alice',
      passwordHash: HASH,
      admin: true,
      deactivated: false,
      locked: false,
      isGuest: false,
      appserviceId: null,
      creationTs: 1_700_000_000,
      threepids: [
        { medium: 'email', address: 'alice@example.test', addedAt: 1_000 },
        { medium: 'msisdn', address: '447700900000', addedAt: 2_000 },
      ],
      externalIds: [{ authProvider: 'oidc-dex', externalId: 's1' }],
      devices: [{ deviceId: 'PHONE', displayName: 'Phone', lastSeen: 5_000, ip: '192.0.2.1', userAgent: 'UA', firstTokenAt: 3_000 }],
      accessTokens: 2,
    });
  });

  it('refuses a user Synapse does not have with exit 5', async () => {
    const ctx = await context();
    await expect(readSynapseAccount(ctx, '@nobody:example.test')).rejects.toMatchObject({ exitCode: 5 });
  });
});
