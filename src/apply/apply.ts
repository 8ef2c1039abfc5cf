// apply's stages, each apart: read the file (every problem at once), read the accounts, plan,
// hash, write in one transaction. The backend decides where accounts live and how hashes look.
import { DatabaseError, UsageError, UserExistsError } from '../errors.js';
import type { ApplyBackend } from './backend.js';
import { ApplyFileError, readApplyFile, type Problem } from './file.js';
import { hashingWork, resolvePasswords } from './hashing.js';
import { outcomeOf, type UserOutcome } from './outcome.js';
import { readPasswordFiles } from './passwords.js';
import { makePlan, type CurrentState, type Plan } from './plan.js';
import type { Progress } from './progress.js';

export interface ApplyOptions {
  /** How the file is named in messages. */
  name: string;
  /** The file came through a pipe: it must show that it ended (see ReadOptions). */
  piped?: boolean;
  /** Relative password_file paths are taken from here, as the shell would. */
  cwd: string;
  /** Hasher calls at once (one per core). */
  concurrency: number;
  progress(total: number): Progress;
}

export interface ApplyResult {
  users: UserOutcome[];
  changed: boolean;
  warnings: string[];
}

/** `input`: the file's bytes (held to UTF-8), or text already decoded. */
export async function applyFile(input: string | Buffer, backend: ApplyBackend, opts: ApplyOptions): Promise<ApplyResult> {
  const { state, problems } = readApplyFile(input, backend.rules, { mustShowEnd: opts.piped === true });
  // A file that is wrong in itself is refused before the database is opened: a database that is
  // down must not hide what is wrong with the file.
  refuseProblems(opts.name, problems);
  const userIds = state.users.map((u) => u.userId);
  // Which password files are used depends on who exists, so they are read after the accounts.
  const before = await backend.read(userIds);
  const { passwords, problems: unreadable } = await readPasswordFiles(state, (id) => before.accounts.has(id), opts.cwd);
  refuseProblems(opts.name, unreadable);
  const { plan, problems: planProblems } = makePlan(state, before, backend.rules, passwords);
  refuseProblems(opts.name, planProblems);
  refuseNoAdminLeft(plan, opts.name);
  const progress = opts.progress(hashingWork(plan).length);
  const hashes = await resolvePasswords(plan, backend.hasher, opts.concurrency, () => progress.tick()).finally(() => progress.end());
  const { users, writes } = outcomeOf(plan, hashes, backend.rules);
  const changed = users.some((u) => u.action !== 'unchanged');
  const written = changed ? await backend.write(userIds, (now) => recheck(before, now, writes.absent), writes) : [];
  return { users, changed, warnings: [...plan.warnings, ...(backend.planWarnings?.(plan, state.exclusiveAdmins) ?? []), ...written] };
}

function refuseProblems(name: string, problems: Problem[]): void {
  if (problems.length > 0) throw new ApplyFileError(name, [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
}

function refuseNoAdminLeft(plan: Plan, name: string): void {
  if (!plan.leavesNoAdmin) return;
  const err = new UsageError(
    `Applying ${name} would leave the server with no usable admin (${plan.demotions.length} demoted by admins: exclusive, ` +
      'and no listed user with admin: true that can act). Nothing was changed. List at least one active, unlocked user with admin: true.',
  );
  err.details = { reason: 'no_usable_admin' };
  throw err;
}

/** The accounts the plan was made from must still be as read; a concurrent writer moved them otherwise. */
function recheck(before: CurrentState, now: CurrentState, absent: readonly string[]): void {
  const racer = absent.find((id) => now.accounts.has(id));
  if (racer !== undefined) {
    throw new UserExistsError(racer, 'It was created while apply ran; nothing was written. Run apply again: it takes the user as it is now.');
  }
  if (fingerprint(before) !== fingerprint(now)) {
    throw new DatabaseError(
      'Users or admins named by this apply changed while it ran (another writer); nothing was written. Run apply again.',
      'database_busy',
    );
  }
}

function fingerprint(state: CurrentState): string {
  const accounts = [...state.accounts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([accounts, state.admins.map((a) => a.userId)]);
}
