// The MAS command table: every case exported by test/mas-cases/*.ts runs on a real PostgreSQL
// holding Synapse's slice and MAS's slice, with a homeserver.yaml that enables
// matrix_authentication_service and MAS's config.yaml beside it. The admin table runs here; the
// credentials and apply tables in files of their own (mas-commands-*.test.ts), so that vitest can
// give them to different workers.
import { runMasTables } from '../helpers/mas-table.js';
import { seedCompatSession, seedMasUser, seedUser, seedWorker, type MasWorld } from '../helpers/mas-world.js';
import { adminCases } from '../mas-cases/admin.js';
import type { MasCase } from '../mas-cases/types.js';

/** Alice on both sides, as MAS's provisioning leaves her, with a device and a live worker. */
async function seedAlice(world: MasWorld): Promise<void> {
  const alice = await seedMasUser(world.mas, { username: 'alice', canRequestAdmin: true, passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$x$y' });
  await seedCompatSession(world.mas, { userId: alice.id, isSynapseAdmin: true });
  await seedWorker(world.mas);
  await seedUser(world.synapse, { name: '@alice:example.test', passwordHash: null });
}

/** Cases of the runner itself: refusals that come before either database is opened. */
const harnessCases: MasCase[] = [
  {
    name: 'a user of another server is refused before either database is touched',
    seed: seedAlice,
    args: ['promote', '@alice:elsewhere.test'],
    code: 2,
    message: /elsewhere\.test/,
  },
  {
    name: 'an invalid localpart is refused before either database is touched',
    seed: seedAlice,
    args: ['register', 'Alice Smith', '--password-stdin'],
    input: 'a-Long-enough-passphrase-42\n',
    code: 2,
  },
];

runMasTables([
  ['harness', harnessCases],
  ['admin', adminCases],
]);
