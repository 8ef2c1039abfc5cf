// How the helper admins of --live (src/live/actor.ts) are named: on its own, because both the
// user counts (user-store.ts: a helper is no admin anyone can use) and the leftover query
// (live-helpers.ts, which reads through user-store.ts) need it.

/** Helpers are named so that anyone, and `check`, can tell them: sab-live-<8 hex>. */
export const HELPER_PREFIX = 'sab-live-';
const HELPER_NAME = /^@sab-live-[0-9a-f]{8}:/;

export function isHelperName(userId: string): boolean {
  return HELPER_NAME.test(userId);
}
