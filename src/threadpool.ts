// libuv's thread pool runs bcrypt's async hashes. Its size is read once, when it is first used,
// 4 by default; loading an ES module already uses it (Node's ESM loader reads files
// asynchronously), so it cannot be changed from this program's own code: only UV_THREADPOOL_SIZE
// in the environment, or a CommonJS entry that sets it before loading us, can widen it.
// Measured: set in the environment, size 1 ran 4 hashes in 4.2x one hash's time; set after the
// modules had loaded, 2.3x (the default pool of 4 on 2 cores): the late setting had no effect.
import { availableParallelism } from 'node:os';

const LIBUV_DEFAULT = 4;

/** How many hashes can run at once: one per core, as far as the pool has threads. */
export function hashConcurrency(env: NodeJS.ProcessEnv): number {
  const pool = Number(env.UV_THREADPOOL_SIZE) || LIBUV_DEFAULT;
  return Math.max(1, Math.min(availableParallelism(), pool));
}
