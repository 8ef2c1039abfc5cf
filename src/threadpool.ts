// libuv's thread pool runs bcrypt's async hashes (and file reads). Its size is fixed the first time
// it is used, 4 by default: on a bigger machine apply could not use every core.
import { availableParallelism } from 'node:os';

const LIBUV_DEFAULT = 4;

/** Call before anything uses the pool: sizes it to the cores, unless the user chose a size. */
export function sizeThreadPool(env: NodeJS.ProcessEnv): void {
  const cores = availableParallelism();
  if (env.UV_THREADPOOL_SIZE === undefined && cores > LIBUV_DEFAULT) env.UV_THREADPOOL_SIZE = String(cores);
}

/** How many hashes can run at once: one per core, as far as the pool has threads. */
export function hashConcurrency(env: NodeJS.ProcessEnv): number {
  const pool = Number(env.UV_THREADPOOL_SIZE) || LIBUV_DEFAULT;
  return Math.max(1, Math.min(availableParallelism(), pool));
}
