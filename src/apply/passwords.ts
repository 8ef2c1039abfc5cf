// The passwords an apply file's entries will use, read before anything is written, so that an
// unreadable one is refused and nothing changes. A file is read only when its entry uses it: for a
// user apply creates, or for every user with update_password: always; an existing user under
// on_create keeps its password, so its file (perhaps a secret since removed) is never opened.
import { resolve } from 'node:path';
import { isFifo } from '../io.js';
import { passwordFromFile } from '../passwords/input.js';
import type { DesiredState, Problem } from './file.js';
import { forEachConcurrently } from './work-pool.js';

// Enough reads in flight to hide the file system's latency, few enough for any fd limit.
const READS_IN_FLIGHT = 32;

/** The password of each user whose password_file apply uses, by user ID; every unreadable file is a problem. */
export async function readPasswordFiles(
  state: DesiredState,
  exists: (userId: string) => boolean,
  cwd: string,
  fifoWaitMs?: number,
): Promise<{ passwords: Map<string, string>; problems: Problem[] }> {
  const passwords = new Map<string, string>();
  const problems: Problem[] = [];
  const withFile = state.users.flatMap((u) =>
    u.password?.kind === 'file' && (state.updatePassword === 'always' || !exists(u.userId)) ? [{ user: u, path: resolve(cwd, u.password.path) }] : [],
  );
  const read = async ({ user, path }: (typeof withFile)[number]) => {
    try {
      passwords.set(user.userId, await passwordFromFile(path, `password_file of ${user.userId}`, {
        insteadOfEmpty: 'give random_password: true instead of password_file',
        fifoWaitMs,
      }));
    } catch (err) {
      problems.push({ line: user.line, message: (err as Error).message.replace(/\.$/, '') });
    }
  };
  // A FIFO's open holds one of libuv's few threads until its writer comes: one at a time, so that
  // FIFOs without a writer can never take every thread and stall the rest.
  const fifos = withFile.filter((f) => isFifo(f.path));
  const fifoSet = new Set(fifos);
  await forEachConcurrently(withFile.filter((f) => !fifoSet.has(f)), READS_IN_FLIGHT, read);
  for (const f of fifos) await read(f);
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { passwords, problems };
}
