// The hashing stage: every new hash made and every stored hash checked, on all cores, before the
// database is opened for writing (hashing inside the transaction would hold Synapse's writers up).
import type { Plan, PlannedUser } from './plan.js';
import { forEachConcurrently } from './work-pool.js';

/** A backend's password scheme (Synapse: bcrypt with its pepper; MAS: its own). */
export interface Hasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  /** A fresh random password for random_password. */
  generate(): string;
}

export interface NewPassword {
  hash: string;
  /** Set for random_password: printed once, for created users only. */
  generated?: string;
}

/** Users whose password step needs a hasher call, for progress totals. */
export function hashingWork(plan: Plan): PlannedUser[] {
  return plan.users.filter((u) => u.password.kind === 'hash' || u.password.kind === 'check');
}

/**
 * The hash each user gets, when it gets one; users left out keep theirs. `concurrency` calls run
 * at once: bcrypt's async calls each take a libuv thread, so one per core keeps every core busy.
 */
export async function resolvePasswords(
  plan: Plan,
  hasher: Hasher,
  concurrency: number,
  onDone: () => void,
): Promise<Map<PlannedUser, NewPassword>> {
  const out = new Map<PlannedUser, NewPassword>();
  for (const u of plan.users) if (u.password.kind === 'write') out.set(u, { hash: u.password.hash });
  await forEachConcurrently(
    hashingWork(plan),
    concurrency,
    async (u) => {
      const step = u.password;
      if (step.kind === 'check') {
        if (step.stored !== null && (await hasher.verify(step.password, step.stored).catch(() => false))) return;
        out.set(u, { hash: await hasher.hash(step.password) });
      } else if (step.kind === 'hash') {
        const password = step.generated ? hasher.generate() : step.password;
        out.set(u, { hash: await hasher.hash(password), ...(step.generated ? { generated: password } : {}) });
      }
    },
    onDone,
  );
  return out;
}
