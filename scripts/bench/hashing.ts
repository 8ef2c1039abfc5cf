// bcrypt at the costs admins use (Synapse's default is 12), in this process: the floor under
// every command that sets a password.
import { hashPassword } from '../../src/synapse/password.js';
import { median } from './timing.js';
import type { BenchContext, BenchRow } from './types.js';

const RUNS = 5;

async function hashMs(cost: number): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await hashPassword('correct horse battery staple', { pepper: '', bcryptRounds: cost });
    ms.push(performance.now() - start);
  }
  return median(ms);
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  ctx.log(`bcrypt: ${RUNS} hashes at cost 10 and at cost 12`);
  const c10 = await hashMs(10);
  const c12 = await hashMs(12);
  return [{ what: 'one bcrypt hash, cost 12 vs cost 10', ratio: c12 / c10, note: `${c12.toFixed(0)} / ${c10.toFixed(0)} ms (in process)` }];
}
