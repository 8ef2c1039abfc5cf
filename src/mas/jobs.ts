// Jobs for MAS's worker, written as MAS writes them. (STUB: helper "mas-ops" implements.)
import type { MasContext } from './session.js';

/** Payloads as MAS's tasks deserialize them; user ids are 26-character ULIDs. */
export type MasJob =
  | { queue: 'provision-user'; payload: { user_id: string; set_display_name: string | null } }
  | { queue: 'sync-devices'; payload: { user_id: string } }
  | { queue: 'reactivate-user'; payload: { user_id: string } };

/** Inserts the job in the command's transaction; MAS's trigger wakes its worker on commit. */
export async function scheduleJob(_ctx: MasContext, _job: MasJob): Promise<void> {
  throw new Error('scheduleJob: not implemented yet');
}
