// The changes Synapse caches, made by Synapse itself through its Admin API, then read back through
// the API. Only endpoints that act every time, or act because the database still holds the old
// value: PUT v2/users with a value the database already holds answers 200 and changes nothing
// (live-server-facts.md 5.3), so the cached column is never written first.
import type { ApiCall } from './http.js';
import { userPath } from './http.js';
import { AdminApiError, type ApiSession } from './actor.js';

export type LiveChange =
  | { kind: 'admin'; userId: string; admin: boolean }
  /** The flags the database holds set, to be cleared. */
  | { kind: 'unlock'; userId: string; locked: boolean; suspended: boolean; shadowBanned: boolean }
  /** deactivated -> active, as Synapse's activate_account (the password is set at database level: not cached). */
  | { kind: 'reactivate'; userId: string };

interface Step {
  call: ApiCall;
  what: string;
}

/** The calls that make a change, in order. */
export function stepsFor(change: LiveChange): Step[] {
  const { userId } = change;
  switch (change.kind) {
    case 'admin':
      return [
        {
          call: { method: 'PUT', path: userPath('/_synapse/admin/v1/users/', userId, '/admin'), body: { admin: change.admin } },
          what: `${userId}: admin ${change.admin ? '0 -> 1' : '1 -> 0'}`,
        },
      ];
    case 'unlock':
      return [
        // Acts: the database (and so get_user_by_id) still says locked.
        ...(change.locked
          ? [{ call: { method: 'PUT', path: userPath('/_synapse/admin/v2/users/', userId), body: { locked: false } }, what: `${userId}: locked true -> false` } as Step]
          : []),
        ...(change.suspended
          ? [{ call: { method: 'PUT', path: userPath('/_synapse/admin/v1/suspend/', userId), body: { suspend: false } }, what: `${userId}: suspended true -> false` } as Step]
          : []),
        ...(change.shadowBanned
          ? [{ call: { method: 'DELETE', path: userPath('/_synapse/admin/v1/users/', userId, '/shadow_ban') }, what: `${userId}: shadow_banned true -> false` } as Step]
          : []),
      ];
    case 'reactivate':
      return [
        {
          call: { method: 'PUT', path: userPath('/_synapse/admin/v2/users/', userId), body: { deactivated: false } },
          what: `${userId}: deactivated 1 -> 0 (Synapse's reactivation: profile, user directory, erasure mark)`,
        },
      ];
    default:
      return change satisfies never;
  }
}

/** The read-back that confirms a change, as Synapse now answers. */
export function readBackFor(change: LiveChange): ApiCall {
  return change.kind === 'admin'
    ? { method: 'GET', path: userPath('/_synapse/admin/v1/users/', change.userId, '/admin') }
    : { method: 'GET', path: userPath('/_synapse/admin/v2/users/', change.userId) };
}

// What a read-back may show in a message: the user's whole record also holds e-mail addresses and
// phone numbers, which have no place in a log.
const FLAGS = ['admin', 'locked', 'suspended', 'shadow_banned', 'deactivated'];

function flagsOf(body: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(FLAGS.filter((k) => k in body).map((k) => [k, body[k]])));
}

function confirmed(change: LiveChange, body: Record<string, unknown>): boolean {
  switch (change.kind) {
    case 'admin':
      return body.admin === change.admin;
    case 'unlock':
      return (!change.locked || body.locked === false) && (!change.suspended || body.suspended === false) && (!change.shadowBanned || body.shadow_banned === false);
    case 'reactivate':
      return body.deactivated === false;
    default:
      return change satisfies never;
  }
}

/**
 * Makes the changes in order, each read back; a failure says which steps were done (exit 4).
 * Changes already in `made` (a run taken over by a helper) are not made again.
 */
export async function applyLive(session: ApiSession, changes: readonly LiveChange[], made: string[] = []): Promise<string[]> {
  for (const change of changes) {
    const steps = stepsFor(change);
    if (steps.length === 0 || steps.every((s) => made.includes(s.what))) continue;
    for (const step of steps) await session.call(step.call, step.what);
    const back = await session.call(readBackFor(change), `read back ${change.userId}`);
    session.done.pop();
    // A 2xx that is not JSON (a proxy's page) confirms nothing.
    const body = (typeof back.body === 'object' && back.body !== null ? back.body : {}) as Record<string, unknown>;
    if (!confirmed(change, body)) {
      throw new AdminApiError(
        `Synapse accepted the change of ${change.userId} but answers ${flagsOf(body)} when asked again. ${session.doneSoFar()}`,
      );
    }
    made.push(...steps.map((s) => s.what));
  }
  return made;
}
