// The passwords an apply file's entries will use, read before anything is written, so that an
// unreadable one is refused and nothing changes. A file is read only when its entry uses it: for a
// user apply creates, or for every user with update_password: always; an existing user under
// on_create keeps its password, so its file (perhaps a secret since removed) is never opened.
import { resolve } from 'node:path';
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
): Promise<{ passwords: Map<string, string>; problems: Problem[] }> {
  const passwords = new Map<string, string>();
  const problems: Problem[] = [];
  const withFile = state.users.filter((u) => u.password?.kind === 'file' && (state.updatePassword === 'always' || !exists(u.userId)));
  await forEachConcurrently(withFile, READS_IN_FLIGHT, async (user) => {
    if (user.password?.kind !== 'file') return;
    try {
      passwords.set(user.userId, await passwordFromFile(resolve(cwd, user.password.path), `password_file of ${user.userId}`, {
        insteadOfEmpty: 'give random_password: true instead of password_file',
      }));
    } catch (err) {
      problems.push({ line: user.line, message: (err as Error).message.replace(/\.$/, '') });
    }
  });
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { passwords, problems };
}
