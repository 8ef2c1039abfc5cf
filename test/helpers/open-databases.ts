// The registry behind test/setup/leftovers.ts, kept free of knex, pg and the like: the setup file
// loads it into every test file, and most of them never open a database.

/** What each open database was made as (a file or a database name), until its cleanup. */
const open = new Map<object, string>();
const atFileEnd: (() => Promise<void>)[] = [];
let serverUsed = false;

export function registerOpen(db: object, what: string): void {
  open.set(db, what);
}

export function registerClosed(db: object): void {
  open.delete(db);
}

/** The databases made through the helpers whose cleanup has not run, by path or name. */
export function openDatabases(): string[] {
  return [...open.values()];
}

/** Work for the end of the test file, after its own hooks (templates to remove). */
export function atEndOfFile(action: () => Promise<void>): void {
  atFileEnd.push(action);
}

export async function endOfFile(): Promise<void> {
  for (const action of atFileEnd.splice(0)) await action();
}

/** Said by whatever connects to the test PostgreSQL as its admin. */
export function markServerUsed(): void {
  serverUsed = true;
}

export function wasServerUsed(): boolean {
  return serverUsed;
}

/**
 * The prefix of every PostgreSQL database this worker makes: the run's prefix and the worker's
 * number, so that the guard can tell this worker's leftovers from another's.
 */
export function workerDatabasePrefix(server: { databasePrefix: string }): string {
  return `${server.databasePrefix}w${process.env.VITEST_POOL_ID ?? '0'}_`;
}
