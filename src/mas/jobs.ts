// Jobs for MAS's worker, written as MAS writes them, and what its queue says about the worker.
import { newMasId } from './ids.js';
import { noWorkerSeen } from './messages.js';
import type { MasContext } from './session.js';
import type { MasUser } from './user-store.js';

/** Payloads as MAS's tasks deserialize them; user ids are 26-character ULIDs. */
export type MasJob =
  | { queue: 'provision-user'; payload: { user_id: string; set_display_name: string | null } }
  | { queue: 'sync-devices'; payload: { user_id: string } }
  | { queue: 'reactivate-user'; payload: { user_id: string } };

/**
 * Inserts the job in the command's transaction, as MAS's own `schedule` does: a new ULID made now,
 * the queue, the payload, empty metadata (every field of MAS's JobMetadata has a default), and
 * the rest left to the column defaults ('available'). MAS's trigger wakes its worker on commit.
 * Returns the job's id.
 */
export async function scheduleJob(ctx: MasContext, job: MasJob): Promise<string> {
  const now = ctx.now();
  const id = newMasId(now);
  await ctx.db('queue_jobs').insert({
    queue_job_id: id,
    queue_name: job.queue,
    payload: JSON.stringify(job.payload),
    metadata: '{}',
    created_at: new Date(now),
  });
  return id;
}

/** provision-user: MAS creates or updates the Synapse account from its users row (lock included). */
export function provisionUser(user: MasUser, displayName: string | null = null): MasJob {
  return { queue: 'provision-user', payload: { user_id: user.ulid, set_display_name: displayName } };
}

/** sync-devices: Synapse's device list follows the user's active MAS sessions. */
export function syncDevices(user: MasUser): MasJob {
  return { queue: 'sync-devices', payload: { user_id: user.ulid } };
}

// MAS's leader marks a worker dead when it has not sent a heartbeat (every minute) for two minutes.
const WORKER_DEAD_AFTER_MS = 2 * 60_000;

export interface QueueState {
  /** A worker not shut down whose heartbeat is at most two minutes old. */
  workerAlive: boolean;
  /** The newest heartbeat of any worker, null when none ever registered. */
  workerLastSeen: Date | null;
  /** Jobs waiting to run now, waiting for a later time, and running. */
  available: number;
  scheduled: number;
  running: number;
  /** Jobs that failed for good (no retry scheduled after them). */
  failed: number;
  newestFailure: { queue: string; failedAt: Date; reason: string | null } | null;
}

export async function readQueue(ctx: MasContext): Promise<QueueState> {
  const { db } = ctx;
  const now = ctx.now();
  const worker = await db('queue_workers')
    .max({ seen: 'last_seen_at' })
    .first()
    .then((r) => (r?.seen as Date | null | undefined) ?? null);
  const alive = await db('queue_workers')
    .whereNull('shutdown_at')
    .where('last_seen_at', '>=', new Date(now - WORKER_DEAD_AFTER_MS))
    .first('queue_worker_id');
  const counts = new Map<string, number>();
  const rows: Array<{ status: string; n: string | number }> = await db('queue_jobs')
    .select('status')
    .count({ n: '*' })
    .where((q) => q.whereNot('status', 'failed').orWhereNull('next_attempt_id'))
    .groupBy('status');
  for (const r of rows) counts.set(r.status, Number(r.n));
  const failure = await db('queue_jobs')
    .first('queue_name', 'failed_at', 'failed_reason')
    .where({ status: 'failed' })
    .whereNull('next_attempt_id')
    .orderBy('failed_at', 'desc');
  return {
    workerAlive: alive !== undefined,
    workerLastSeen: worker,
    available: counts.get('available') ?? 0,
    scheduled: counts.get('scheduled') ?? 0,
    running: counts.get('running') ?? 0,
    failed: counts.get('failed') ?? 0,
    newestFailure:
      failure === undefined
        ? null
        : { queue: String(failure.queue_name), failedAt: failure.failed_at as Date, reason: (failure.failed_reason as string | null) ?? null },
  };
}

/** For every command that changed something: nothing reaches Synapse while no MAS worker runs. */
export async function workerWarnings(ctx: MasContext): Promise<string[]> {
  const q = await readQueue(ctx);
  return q.workerAlive ? [] : [noWorkerSeen(q.workerLastSeen?.toISOString() ?? null)];
}
