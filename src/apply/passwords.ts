// The passwords an apply file names: every password file read before anything else happens, so
// that an unreadable one is reported with all the file's other problems, and nothing is written.
import { resolve } from 'node:path';
import { passwordFromFile } from '../commands/password-input.js';
import type { DesiredUser, Problem } from './file.js';
import { forEachConcurrently } from './work-pool.js';

// Enough reads in flight to hide the file system's latency, few enough for any fd limit.
const READS_IN_FLIGHT = 32;

/** The password of each user with a password_file, by user ID; every unreadable file is a problem. */
export async function readPasswordFiles(users: readonly DesiredUser[], cwd: string): Promise<{ passwords: Map<string, string>; problems: Problem[] }> {
  const passwords = new Map<string, string>();
  const problems: Problem[] = [];
  const withFile = users.filter((u) => u.password?.kind === 'file');
  await forEachConcurrently(withFile, READS_IN_FLIGHT, async (user) => {
    if (user.password?.kind !== 'file') return;
    try {
      passwords.set(user.userId, await passwordFromFile(resolve(cwd, user.password.path), `password_file of ${user.userId}`));
    } catch (err) {
      problems.push({ line: user.line, message: (err as Error).message.replace(/\.$/, '') });
    }
  });
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { passwords, problems };
}
