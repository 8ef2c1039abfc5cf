// The contract every store keeps, whatever holds the accounts (Synapse's tables on SQLite or on
// PostgreSQL, or MAS's beside Synapse's): one table, run through the command line as users call it
// by test/helpers/contract-table.ts on each store. Each case gets the checks of every table row
// (test/helpers/table-case.ts: the exit code, the --json error and its message, and every row of
// both databases left as it was by a failure or a --dry-run) and prints exactly one JSON object.
import type { TableCase } from '../helpers/table-case.js';

/** A user every store holds before each case, by localpart. */
export interface ContractUser {
  localpart: string;
  admin?: boolean;
  deactivated?: boolean;
  locked?: boolean;
  /** Made in Synapse only: on MAS, MAS has no user for it (what `adopt` is for). */
  synapseOnly?: boolean;
}

/** alice: a usable admin; bob: a plain user; gone: deactivated; held: locked; sam: only in Synapse's table. */
export const CONTRACT_USERS: ContractUser[] = [
  { localpart: 'alice', admin: true },
  { localpart: 'bob' },
  { localpart: 'gone', deactivated: true },
  { localpart: 'held', locked: true },
  { localpart: 'sam', synapseOnly: true },
];

export interface ContractCase extends TableCase<unknown> {
  name: string;
  /**
   * What a store on Synapse's own tables answers instead, when it refuses the command by its rules
   * (adopt: Synapse owns its users there); the rows stay as they were all the same.
   */
  onSynapse?: { code: number; message?: RegExp };
}

/** A password every store's policy takes (MAS asks for a zxcvbn score of 3). */
const PASSWORD = 'a-Long-enough-passphrase-42\n';
const NOT_FOUND = /@nobody:example\.test does not exist/;
const DEACTIVATED = /deactivated.*--reactivate/;
/** adopt where Synapse owns logins (exit 2). */
const NOTHING_TO_ADOPT = { code: 2, message: /Synapse itself owns its users, so there is nothing to adopt/ };

export const CONTRACT_CASES: ContractCase[] = [
  { name: 'promote of a user that does not exist exits 5', args: ['promote', 'nobody'], code: 5, message: NOT_FOUND },
  { name: 'promote of a deactivated user exits 7', args: ['promote', 'gone'], code: 7, message: DEACTIVATED },
  { name: 'promote --dry-run leaves every row as it was', args: ['--dry-run', 'promote', 'bob'], code: 0 },

  { name: 'demote of a user that does not exist exits 5', args: ['demote', 'nobody'], code: 5, message: NOT_FOUND },
  { name: 'demote --dry-run leaves every row as it was', args: ['--dry-run', 'demote', 'alice'], code: 0 },

  { name: 'unlock of a user that does not exist exits 5', args: ['unlock', 'nobody'], code: 5, message: NOT_FOUND },
  { name: 'unlock --dry-run leaves every row as it was', args: ['--dry-run', 'unlock', 'held'], code: 0 },

  { name: 'register of a user that exists exits 6', args: ['register', 'bob', '--no-admin', '--password-stdin'], input: PASSWORD, code: 6 },
  { name: 'register --exists-ok of a deactivated user exits 7', args: ['register', 'gone', '--exists-ok', '--admin'], code: 7, message: DEACTIVATED },
  {
    name: 'register --dry-run leaves every row as it was',
    args: ['--dry-run', 'register', 'carol', '--admin', '--password-stdin'],
    input: PASSWORD,
    code: 0,
  },

  {
    name: 'adopt of a user Synapse does not have exits 5 on MAS, 2 where Synapse owns its users',
    args: ['adopt', 'nobody'],
    code: 5,
    message: NOT_FOUND,
    onSynapse: NOTHING_TO_ADOPT,
  },
  { name: 'adopt of a user MAS has exits 6 on MAS, 2 where Synapse owns its users', args: ['adopt', 'bob'], code: 6, onSynapse: NOTHING_TO_ADOPT },
  {
    name: 'adopt --dry-run of a user only Synapse has leaves every row as it was',
    args: ['--dry-run', 'adopt', 'sam', '--random-password'],
    code: 0,
    onSynapse: NOTHING_TO_ADOPT,
  },

  { name: 'set-password of a user that does not exist exits 5 before asking for a password', args: ['set-password', 'nobody'], code: 5, message: NOT_FOUND },
  {
    name: 'set-password of a deactivated user without --reactivate exits 7',
    args: ['set-password', 'gone', '--password-stdin'],
    input: PASSWORD,
    code: 7,
    message: DEACTIVATED,
  },
  {
    name: 'set-password --dry-run --logout leaves every row as it was',
    args: ['--dry-run', 'set-password', 'bob', '--password-stdin', '--logout'],
    input: PASSWORD,
    code: 0,
  },

  { name: 'issue-token of a user that does not exist exits 5', args: ['issue-token', 'nobody'], code: 5, message: NOT_FOUND },
  { name: 'issue-token of a deactivated user exits 7', args: ['issue-token', 'gone'], code: 7, message: DEACTIVATED },
  { name: 'issue-token --dry-run leaves every row as it was', args: ['--dry-run', 'issue-token', 'alice'], code: 0 },

  { name: 'list-admins --dry-run leaves every row as it was', args: ['--dry-run', 'list-admins'], code: 0 },

  { name: 'check of a user that does not exist says so and exits 0', args: ['check', 'nobody'], code: 0, unchanged: true },
  { name: 'check --dry-run leaves every row as it was', args: ['--dry-run', 'check'], code: 0 },
];
