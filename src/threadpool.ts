// libuv's thread pool runs bcrypt's async hashes. Its size is read once, when it first runs work,
// 4 by default. The installed command (src/launcher.cts, CommonJS) sets UV_THREADPOOL_SIZE to the
// number of cores, when the environment does not, before anything has used the pool. Measured: a
// CommonJS entry setting it to 1 ran 2 concurrent cost-12 hashes in 2.0x one hash's time, against
// 1.0x unset; under ES modules (the sources run by tsx) the pool is already in use by then, so
// there only the environment counts.
import { availableParallelism } from 'node:os';

const LIBUV_DEFAULT = 4;

/** How many hashes can run at once: one per core, as far as the pool has threads. */
export function hashConcurrency(env: NodeJS.ProcessEnv): number {
  const pool = Number(env.UV_THREADPOOL_SIZE) || LIBUV_DEFAULT;
  return Math.max(1, Math.min(availableParallelism(), pool));
}
