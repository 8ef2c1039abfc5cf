// Cases of the MAS table's runner itself (test/helpers/mas-table.ts): refusals that come before
// either database is opened.
import { seedCompatSession, seedMasUser, seedUser, seedWorker, type MasWorld } from '../helpers/mas-world.js';
import type { MasCase } from './types.js';

/** Alice on both sides, as MAS's provisioning leaves her, with a device and a live worker. */
async function seedAlice(world: MasWorld): Promise<void> {
  const alice = await seedMasUser(world.mas, { username: 'alice', canRequestAdmin: true, passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$x$y' });
  await seedCompatSession(world.mas, { userId: alice.id, isSynapseAdmin: true });
  await seedWorker(world.mas);
  await seedUser(world.synapse, { name: '@alice:example.test', passwordHash: null });
}

export const harnessCases: MasCase[] = [
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
